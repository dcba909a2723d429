#!/usr/bin/env bash
# Turn a built report into PNGs to look at: the PDF pages (pdftoppm) and the site pages
# (headless Chromium, from Debian's chromium package). Usage: scripts/look.sh [SITE] [OUTDIR]
set -euo pipefail
site=$(realpath "${1:-site}")
out=${2:-/tmp/rocs-look}
rm -rf "$out"; mkdir -p "$out/pdf" "$out/site"
pdftoppm -png -r 60 "$site/report.pdf" "$out/pdf/page"
profile=$(mktemp -d)
for page in "$site"/*.html; do
  name=$(basename "$page" .html)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
    --window-size=1280,${HEIGHT:-2400} --screenshot="$out/site/$name.png" "file://$page" >/dev/null 2>&1
done
rm -rf "$profile"
ls "$out/pdf" "$out/site"
