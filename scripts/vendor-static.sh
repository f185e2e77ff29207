#!/usr/bin/env bash
# Refresh the vendored front-end libraries under static/vendor/ from the npm registry.
# Run only to upgrade: set-up and CI never need npm or a CDN; the files are committed.
set -euo pipefail
BOOTSTRAP=5.3.9
HTMX=2.0.11      # the maintained 2.x line; htmx 4 is a breaking major
CHARTJS=4.6.1
DATE_ADAPTER=3.0.0  # chartjs-adapter-date-fns: the time scale's dates (date-fns bundled)
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "chart.js@$CHARTJS" \
  "chartjs-adapter-date-fns@$DATE_ADAPTER" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
v="$root/static/vendor"
mkdir -p "$v/bootstrap" "$v/htmx" "$v/chartjs"
cp bootstrap-$BOOTSTRAP/package/dist/css/bootstrap.min.css* "$v/bootstrap/"
cp bootstrap-$BOOTSTRAP/package/dist/js/bootstrap.bundle.min.js* "$v/bootstrap/"
cp htmx.org-$HTMX/package/dist/htmx.min.js "$v/htmx/"
cp chart.js-$CHARTJS/package/dist/chart.umd.min.js* "$v/chartjs/"
cp chartjs-adapter-date-fns-$DATE_ADAPTER/package/dist/chartjs-adapter-date-fns.bundle.min.js "$v/chartjs/"
cat > "$v/VERSIONS" <<VERSIONS
# Vendored front-end libraries (refresh with scripts/vendor-static.sh)
bootstrap $BOOTSTRAP (MIT) css/bootstrap.min.css, js/bootstrap.bundle.min.js (includes Popper)
htmx.org $HTMX (0BSD) htmx.min.js
chart.js $CHARTJS (MIT) chart.umd.min.js
chartjs-adapter-date-fns $DATE_ADAPTER (MIT) chartjs-adapter-date-fns.bundle.min.js (includes date-fns)
VERSIONS
echo "vendored into $v"
