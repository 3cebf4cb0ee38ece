#!/bin/sh
# Rebuild portal/http/static/vendor/noble/noble.js (audited secp256k1 + keccak/sha256 for the policy
# page's in-browser verification) from the versions pinned in package-lock.json. Build-time only:
# Node is never a runtime dependency. Run `sh build.sh`, commit the output and SHA256SUMS, and
# update the sha256 in the README's maintainers section.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../../static/vendor/noble
mkdir -p "$out"
npx esbuild entry.js --bundle --format=esm --minify --legal-comments=eof --target=es2020 --outfile="$out/noble.js"
(cd "$out" && sha256sum noble.js > SHA256SUMS && cat SHA256SUMS)
