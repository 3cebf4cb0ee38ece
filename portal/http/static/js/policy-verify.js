// In-browser verification of the policy page (no framework, same origin, no inline script).
//
// What it checks, as `portal policy verify --url` does (policy/chain.py), from what this site serves:
// - every trust root (/v1/policies/roots): its exact TOML hashes to the sha256 it claims, the fields
//   shown match that TOML, and each rotation is signed by the threshold of the root before it *and*
//   of its own keys; the newest root has not expired;
// - the current policy (/policy/<slug>.md and .md.sig.json): the statement is rebuilt from the exact
//   bytes, each EIP-191 signer recovered with @noble/curves, and the distinct root signers counted
//   against the threshold of the root the version names; the policy has not expired.
// The verdict lands in [data-verdict] (verified | failed) with the reason, and the recovered signers
// in [data-signers], so a reader (and the browser test) can compare it with the Python verifier.
import { keccak_256, secp256k1, sha256 } from "../vendor/noble/noble.js";

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const encoder = new TextEncoder();

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(text) {
  const clean = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error("signature is not hex");
  return Uint8Array.from(clean.match(/../g) || [], (pair) => parseInt(pair, 16));
}

function personalMessageHash(text) {
  const message = encoder.encode(text);
  const prefix = encoder.encode(`\x19Ethereum Signed Message:\n${message.length}`);
  const joined = new Uint8Array(prefix.length + message.length);
  joined.set(prefix);
  joined.set(message, prefix.length);
  return keccak_256(joined);
}

/** The address that signed `text` with personal_sign (65-byte r||s||v; high s refused as in Python). */
export function recoverSigner(text, signatureHex) {
  const raw = fromHex(signatureHex);
  if (raw.length !== 65) throw new Error(`signature must be 65 bytes, got ${raw.length}`);
  let v = raw[64];
  if (v >= 27) v -= 27;
  if (v !== 0 && v !== 1) throw new Error(`signature v must be 0, 1, 27 or 28, got ${raw[64]}`);
  const s = BigInt("0x" + toHex(raw.slice(32, 64)));
  if (s > SECP256K1_HALF_N) throw new Error("signature has a high s value (malleable form)");
  const signature = secp256k1.Signature.fromBytes(raw.slice(0, 64), "compact").addRecoveryBit(v);
  const publicKey = signature.recoverPublicKey(personalMessageHash(text)).toBytes(false);
  return "0x" + toHex(keccak_256(publicKey.slice(1)).slice(-20));
}

/** Distinct signers of `root` whose signatures over `text` verify. */
function validSigners(text, signatures, root) {
  const members = new Set(root.signers.map((s) => s.toLowerCase()));
  const found = new Set();
  for (const entry of signatures) {
    let signer;
    try {
      signer = recoverSigner(text, entry.signature);
    } catch {
      continue;
    }
    if (signer === entry.signer.toLowerCase() && members.has(signer)) found.add(signer);
  }
  return [...found];
}

export function requireThreshold(text, signatures, root, what) {
  const found = validSigners(text, signatures, root);
  if (found.length < root.threshold) {
    throw new Error(`${what}: signed by ${found.length} of ${root.threshold} required keys of trust root ` +
                    `version ${root.version}`);
  }
  return found;
}

/** The root's JSON fields must be what its exact TOML says (the TOML is what was signed). */
function checkRootFields(root) {
  if (toHex(sha256(encoder.encode(root.document))) !== root.sha256) {
    throw new Error(`trust root version ${root.version}: its bytes do not hash to the sha256 it claims`);
  }
  const number = (key) => Number((root.document.match(new RegExp(`^\\s*${key}\\s*=\\s*(\\d+)`, "m")) || [])[1]);
  const inToml = new Set((root.document.match(/0x[0-9a-fA-F]{40}/g) || []).map((a) => a.toLowerCase()));
  const listed = new Set(root.signers.map((a) => a.toLowerCase()));
  if (number("version") !== root.version || number("threshold") !== root.threshold ||
      inToml.size !== listed.size || [...listed].some((a) => !inToml.has(a))) {
    throw new Error(`trust root version ${root.version}: the fields shown differ from its signed TOML`);
  }
}

export function verifyRoots(roots, now) {
  if (!roots.length) throw new Error("no trust root is served");
  roots.forEach(checkRootFields);
  for (let i = 1; i < roots.length; i += 1) {
    const [old, next] = [roots[i - 1], roots[i]];
    if (next.version !== old.version + 1) {
      throw new Error(`root version ${next.version} does not follow version ${old.version}`);
    }
    const text = `Policy trust root version ${next.version}\nsha256:${next.sha256}`;
    requireThreshold(text, next.signatures, old, `root version ${next.version} (by the old root)`);
    requireThreshold(text, next.signatures, next, `root version ${next.version} (by its own keys)`);
  }
  const newest = roots[roots.length - 1];
  if (now >= new Date(newest.expires)) throw new Error(`trust root version ${newest.version} has expired`);
  return newest;
}

// The signed header, read by the one rule policy/canonical.py states (and parse_document enforces):
// lines split on "\n" with a trailing "\r" dropped; the front matter runs from the first line's "+++"
// fence to the next; slug, version and prev each sit once on their own line, `key = value`, with an
// optional "# comment". Anything else is refused, never guessed.
const FENCE_LINE = /^[ \t]*\+\+\+[ \t]*$/;
const HEADER_LINE = /^(slug|version|prev)[ \t]*=[ \t]*("[^"\\]*"|'[^'\\]*'|[1-9][0-9]*)[ \t]*(?:#[\s\S]*)?$/;
const KEY_START = /^(slug|version|prev)[ \t]*=/;

/** {slug, version, prev} of a document's text, by the canonical rule; throws on anything else. */
export function headerFields(text) {
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (!FENCE_LINE.test(lines[0])) throw new Error("the document does not start with a '+++' line");
  const end = lines.findIndex((line, index) => index > 0 && FENCE_LINE.test(line));
  if (end < 0) throw new Error("the document's front matter is not closed by a '+++' line");
  const found = {};
  for (const line of lines.slice(1, end)) {
    const start = line.match(KEY_START);
    if (!start) continue;
    const match = line.match(HEADER_LINE);
    if (!match || start[1] in found) throw new Error(`the document's ${start[1]} is not written once as key = value`);
    found[start[1]] = match[2];
  }
  for (const key of ["slug", "version", "prev"]) {
    if (!(key in found)) throw new Error(`the document has no ${key}`);
  }
  const quoted = (value) => value[0] === '"' || value[0] === "'";
  if (quoted(found.version) || !quoted(found.slug) || !quoted(found.prev)) {
    throw new Error("the document's slug, version or prev is not of the signed form");
  }
  return { slug: found.slug.slice(1, -1), version: Number(found.version), prev: found.prev.slice(1, -1) };
}

/** The exact text signed for these bytes (policy/statement.py's statement()). */
export function policyStatement(raw) {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  const { slug, version, prev } = headerFields(text);
  const digest = toHex(sha256(raw));
  return { text, slug, version, digest, statement: `Official policy ${slug} version ${version}\nsha256:${digest}\nprev:${prev}` };
}

/** The document's own expiry (a TOML datetime on an `expires = ...` front-matter line). */
function expiresOf(text) {
  const front = text.split("\n+++")[0];
  const match = front.match(/^expires[ \t]*=[ \t]*([0-9T:.+\-Zz ]+?)[ \t]*(?:#.*)?\r?$/m);
  if (!match) throw new Error("the document has no expires");
  return new Date(match[1]);
}

/** Verify exact bytes against their signatures and the root they name; returns {signers, version, sha256}. */
export function verifyDocument(raw, signatures, root, now = new Date()) {
  const { text, slug, version, digest, statement } = policyStatement(raw);
  const signers = requireThreshold(statement, signatures, root, `policy ${slug} version ${version}`);
  if (now >= expiresOf(text)) throw new Error(`policy ${slug} version ${version} has expired`);
  return { signers, version, sha256: digest, statement };
}

async function fetchOk(url, kind) {
  const response = await fetch(url, { cache: "no-store", credentials: "omit" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return kind === "json" ? response.json() : new Uint8Array(await response.arrayBuffer());
}

/** Verify the current version of `slug` from this origin; resolves to {signers, root, version, sha256}. */
export async function verifyPolicy(slug, now = new Date()) {
  const [roots, raw, bundle] = await Promise.all([
    fetchOk("/v1/policies/roots", "json"),
    fetchOk(`/policy/${slug}.md`, "bytes"),
    fetchOk(`/policy/${slug}.md.sig.json`, "json"),
  ]);
  verifyRoots(roots, now);
  const root = roots.find((r) => r.version === (bundle.root_version ?? 1));
  if (!root) throw new Error(`the policy names trust root version ${bundle.root_version}, which is not served`);
  const { signers, version, sha256: digest } = verifyDocument(raw, bundle.signatures, root, now);
  return { signers, root, version, sha256: digest };
}

async function main() {
  const section = document.getElementById("policy-verify");
  if (!section) return;
  const verdict = section.querySelector("[data-verdict]");
  try {
    const result = await verifyPolicy(section.dataset.slug);
    verdict.dataset.verdict = "verified";
    verdict.dataset.signers = result.signers.join(",");
    verdict.textContent = `Verified in your browser: version ${result.version} (sha256 ${result.sha256}) is ` +
      `signed by ${result.signers.length} of the ${result.root.threshold} required keys of trust root version ` +
      `${result.root.version} (sha256 ${result.root.sha256}).`;
  } catch (error) {
    verdict.dataset.verdict = "failed";
    verdict.dataset.signers = "";
    verdict.textContent = `NOT verified: ${error.message}. Do not trust this page; use the official links you ` +
      "already know.";
  }
}

if (typeof document !== "undefined") main();
