#!/bin/sh
# Rebuild portal/http/static/vendor/noble.js from the versions pinned in package-lock.json.
# Build-time only (Node is never a runtime dependency): `sh build.sh`, then commit the output and
# update its sha256 in the README.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
mkdir -p ../vendor
npx esbuild entry.js --bundle --format=esm --minify --legal-comments=eof --target=es2020 \
  --outfile=../vendor/noble.js
sha256sum ../vendor/noble.js
