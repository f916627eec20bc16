#!/usr/bin/env bash
# Build the web UI (frontend/, Next.js static export) into src/lockgate/web/, which FastAPI serves
# at `/`. `make ui` runs this only when the UI's sources changed.
#
#   scripts/build-ui.sh                 install deps if needed, check the API client, build, install
#   scripts/build-ui.sh --strict        a stale API client (src/api/schema.d.ts) is an error
#   scripts/build-ui.sh --no-api-check  skip the check (`make ui` runs it separately)
set -euo pipefail
cd "$(dirname "$0")/.."

strict=0
api_check=1
for arg in "$@"; do
  case "$arg" in
    --strict) strict=1 ;;
    --no-api-check) api_check=0 ;;
    *) echo "build-ui: unknown argument $arg" >&2; exit 2 ;;
  esac
done

export NEXT_TELEMETRY_DISABLED=1
fe=frontend
web=src/lockgate/web

command -v node >/dev/null 2>&1 || { echo "build-ui: Node.js 20+ is required (apt-get install nodejs npm)" >&2; exit 1; }

# Dependencies: `npm ci` when node_modules is missing or package-lock.json changed since the last install.
lock_sum=$(sha256sum "$fe/package-lock.json" | cut -d' ' -f1)
stamp="$fe/node_modules/.lockgate-installed"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "build-ui: npm ci"
  (cd "$fe" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$stamp"
fi

# The typed API client must match the backend's OpenAPI.
if [ "$api_check" = 1 ] && ! (cd "$fe" && node scripts/gen-api.mjs --check); then
  if [ "$strict" = 1 ]; then exit 1; fi
  echo "build-ui: WARNING: building with a stale API client; run \`make ui-api\` and commit it" >&2
fi

echo "build-ui: next build"
rm -rf "$fe/out"
(cd "$fe" && npx --no-install next build)
node "$fe/scripts/externalize-scripts.mjs" "$fe/out"
node "$fe/scripts/build-sw.mjs" "$fe/out"
node "$fe/scripts/compress.mjs" "$fe/out"

# Swap the new build in whole, so a running server never serves half of one and half of another.
tmp="$(dirname "$web")/.web.new"
old="$(dirname "$web")/.web.old"
rm -rf "$tmp" "$old"
cp -a "$fe/out" "$tmp"
if [ -d "$web" ]; then mv "$web" "$old"; fi
mv "$tmp" "$web"
rm -rf "$old"
echo "build-ui: installed into $web ($(find "$web" -type f | wc -l) files)"
