#!/usr/bin/env bash
# WeasyPrint needs Pango (and a font) from the system. Install them with apt when missing.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' && fc-list 2>/dev/null | grep -qi dejavu; then
  exit 0
fi
pkgs="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing $pkgs (needed by WeasyPrint for the PDF)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
elif command -v apt-get >/dev/null 2>&1; then
  echo "WeasyPrint needs Pango and a font: run  sudo apt-get install $pkgs" >&2
  exit 1
else
  echo "WeasyPrint needs Pango and a font; see https://doc.courtbouillon.org/weasyprint/stable/first_steps.html" >&2
  exit 1
fi
