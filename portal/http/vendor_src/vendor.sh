#!/usr/bin/env bash
# Vendor the browser libraries once into the repo (run by hand when a version in package.json changes).
#
# npm is a tool here, never a runtime or CI dependency: the outputs below are committed, each with its
# sha256 in SHA256SUMS beside it, and the app serves them from its own origin under /static/vendor/.
#   swagger-ui-dist -> portal/http/static/vendor/swagger-ui/   (the /schema page, no CDN)
#   @walletconnect/sign-client + qrcode, bundled by esbuild from walletconnect-entry.js
#                   -> portal/http/static/vendor/walletconnect/walletconnect.js (only the WalletConnect page)
#   axe-core        -> tests/browser/vendor/axe.min.js         (accessibility checks in tests only)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
# Install into a scratch directory: node_modules never lands inside the package tree.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/walletconnect-entry.js" "$work/"
cd "$work"
npm ci --no-audit --no-fund

swagger="$repo/portal/http/static/vendor/swagger-ui"
mkdir -p "$swagger"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$swagger/"
cp node_modules/swagger-ui-dist/LICENSE "$swagger/LICENSE.txt"

walletconnect="$repo/portal/http/static/vendor/walletconnect"
mkdir -p "$walletconnect"
npx esbuild walletconnect-entry.js --bundle --minify --format=esm --target=es2020 --platform=browser \
  --legal-comments=none --define:process.env.NODE_ENV='"production"' --define:global=globalThis \
  --outfile="$walletconnect/walletconnect.js"

axe="$repo/tests/browser/vendor"
mkdir -p "$axe"
cp node_modules/axe-core/axe.min.js "$axe/axe.min.js"
cp node_modules/axe-core/LICENSE "$axe/axe-core-LICENSE.txt"

shopt -s nullglob
for dir in "$swagger" "$walletconnect" "$axe"; do
  (cd "$dir" && sha256sum -- *.js *.css > SHA256SUMS)
done
node -e 'const l=require("./package-lock.json").packages;for(const k of ["swagger-ui-dist","@walletconnect/sign-client","qrcode","axe-core","esbuild"])console.log(k, l["node_modules/"+k].version)'
cat "$swagger/SHA256SUMS" "$walletconnect/SHA256SUMS" "$axe/SHA256SUMS"
