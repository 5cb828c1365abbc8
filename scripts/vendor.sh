#!/usr/bin/env bash
# Re-fetches the vendored browser libraries under static/vendor/ from the npm registry.
# The files are committed because the platform runs on intranets with no internet; this script only makes
# an upgrade reproducible. It is not part of `make run` or `make test`.
#
# Upgrade: change a version below, run `bash scripts/vendor.sh`, update static/vendor/README.md (version,
# checksums: the script prints them), look at the pages that use the library, commit.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11
MARKERCLUSTER_VERSION=1.5.3 # needs Leaflet ^1.3.1; Leaflet itself comes with django-leaflet
ECHARTS_VERSION=6.1.0

DEST=static/vendor
command -v npm >/dev/null 2>&1 || { echo "Error: npm is needed (apt-get install -y npm)." >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# unpack NAME VERSION: `npm pack` the package into $tmp (npm checks the registry's integrity hash) and print
# the folder it was unpacked to.
unpack() {
  local name="$1" version="$2" tarball dir
  tarball="$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)"
  if [ -z "$tarball" ] || [ ! -f "$tmp/$tarball" ]; then
    echo "Error: npm pack $name@$version failed." >&2
    exit 1
  fi
  dir="$tmp/$name-$version"
  mkdir -p "$dir"
  tar -xzf "$tmp/$tarball" -C "$dir"
  printf '%s/package' "$dir"
}

# place SRC_DIR TARGET FILE...: replace static/vendor/TARGET with exactly these files (no stale leftovers).
place() {
  local src="$1" target="$DEST/$2" f
  shift 2
  rm -rf "$target"
  mkdir -p "$target"
  for f in "$@"; do
    install -m 0644 "$src/$f" "$target/$(basename "$f")"
  done
}

echo "==> htmx.org $HTMX_VERSION"
pkg="$(unpack htmx.org "$HTMX_VERSION")"
place "$pkg" htmx dist/htmx.min.js LICENSE

echo "==> leaflet.markercluster $MARKERCLUSTER_VERSION"
pkg="$(unpack leaflet.markercluster "$MARKERCLUSTER_VERSION")"
# The .map is kept because leaflet.markercluster.js names it in its sourceMappingURL comment.
place "$pkg" leaflet.markercluster \
  dist/leaflet.markercluster.js dist/leaflet.markercluster.js.map \
  dist/MarkerCluster.css dist/MarkerCluster.Default.css MIT-LICENCE.txt

echo "==> echarts $ECHARTS_VERSION"
pkg="$(unpack echarts "$ECHARTS_VERSION")"
place "$pkg" echarts dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3
# echarts.min.js bundles zrender (BSD-3-Clause), whose licence is not in the echarts package: take it from
# the zrender version echarts depends on.
zrender_version="$(node -p "require('$pkg/package.json').dependencies.zrender")"
zpkg="$(unpack zrender "$zrender_version")"
install -m 0644 "$zpkg/LICENSE" "$DEST/echarts/LICENSE-zrender"

echo "==> Checksums (for static/vendor/README.md)"
(cd "$DEST" && find . -type f ! -name README.md | sort | sed 's#^\./##' | xargs sha256sum)
