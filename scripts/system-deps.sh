#!/usr/bin/env bash
# The system packages that `make report` and `make test` need, installed with apt when missing:
# - Pango and a font, for WeasyPrint (the PDF);
# - Chromium, Node.js and npm, for the browser tests (Playwright drives Debian's Chromium;
#   axe-core comes from npm);
# - poppler-utils (pdfinfo, pdftotext, pdftoppm), to read the PDFs back in the tests;
# - R with the survey package, which regenerates the reference values the estimators are
#   tested against (tests/reference/survey_reference.R).
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core fontconfig)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
if ! command -v Rscript >/dev/null 2>&1; then
  need+=(r-base-core r-cran-survey)
elif ! Rscript -e 'quit(status = !requireNamespace("survey", quietly = TRUE))' >/dev/null 2>&1; then
  need+=(r-cran-survey)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1; then
  echo "rocsreport needs: sudo apt-get install ${need[*]}" >&2
  exit 1
else
  echo "rocsreport needs Pango, a font, Chromium, Node.js with npm, poppler-utils and R with its survey package: install ${need[*]} with your package manager" >&2
  exit 1
fi
