// The only third-party code the policy page runs: audited secp256k1 and hashes, re-exported for
// bundling into one same-origin file (portal/http/static/vendor/noble/noble.js). Rebuild with ./build.sh.
export { secp256k1 } from "@noble/curves/secp256k1.js";
export { keccak_256 } from "@noble/hashes/sha3.js";
export { sha256 } from "@noble/hashes/sha2.js";
