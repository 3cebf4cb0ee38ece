// In-browser verification of the releases page (no framework, same origin, no inline script).
//
// What it checks, as `portal release verify --url` does (policy/release_remote.py), from the files this
// site serves for each chain's releases 1..n (/releases/<chain>/<n>.md, .md.sig.json, .entries.json):
// - the trust roots walk as on the policy page (policy-verify.js);
// - each document's exact bytes hash to the sha256 listed, the statement is rebuilt from them and the
//   distinct root signers recovered from their EIP-191 signatures reach the threshold of the root named;
// - numbers run 1..n and each prev is the sha256 of the release before;
// - the entries file hashes to entries_sha256, and the Merkle root rebuilt from its entries (the
//   release's tree: uniswap, oz or the Solana distributor's) is the merkle_root that was signed;
// - the document's corrections section lists every upheld case's correction the entries pay.
// The verdict lands in [data-verdict] (verified | failed) with the reason.
import { keccak_256, sha256 } from "../vendor/noble/noble.js";
import { requireThreshold, verifyRoots } from "./policy-verify.js";

const encoder = new TextEncoder();
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from((text.replace(/^0x/, "").match(/../g) || []), (p) => parseInt(p, 16));
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

function compare(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function word(value, bytes = 32, little = false) {
  const out = new Uint8Array(bytes);
  let rest = BigInt(value);
  for (let i = 0; i < bytes; i += 1) { out[little ? i : bytes - 1 - i] = Number(rest & 0xffn); rest >>= 8n; }
  if (rest !== 0n) throw new Error(`amount ${value} does not fit in ${bytes} bytes`);
  return out;
}

function base58(text) {
  let number = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) throw new Error(`${text} is not base58`);
    number = number * 58n + BigInt(digit);
  }
  return word(number, 32);
}

const sortedKeccak = (a, b) => keccak_256(compare(a, b) < 0 ? concat(a, b) : concat(b, a));

/** Uniswap's MerkleDistributor tree: packed leaves, sorted, odd node carried up. */
function uniswapRoot(entries) {
  let level = entries.map((e) => keccak_256(concat(word(e.index), fromHex(e.destination), word(e.amount))))
    .sort(compare);
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sortedKeccak(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/** OpenZeppelin's StandardMerkleTree of [uint256 index, address account, uint256 amount]. */
function ozRoot(entries) {
  const leaves = entries.map((e) => keccak_256(keccak_256(concat(word(e.index), word(BigInt("0x" + toHex(
    fromHex(e.destination)))), word(e.amount))))).sort((a, b) => compare(b, a));
  const nodes = [...new Array(leaves.length - 1), ...leaves];
  for (let i = leaves.length - 2; i >= 0; i -= 1) nodes[i] = sortedKeccak(nodes[2 * i + 1], nodes[2 * i + 2]);
  return nodes[0];
}

/** The jup-ag/Jito merkle-distributor's tree: sha256 with leaf and node prefixes, input order. */
function distributorRoot(entries) {
  let level = entries.map((e) => sha256(concat(Uint8Array.of(0), sha256(concat(base58(e.destination),
    word(e.amount, 8, true), word(0, 8, true))))));
  while (level.length > 1) {
    if (level.length % 2) level = [...level, level[level.length - 1]];
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      const [a, b] = compare(level[i], level[i + 1]) <= 0 ? [level[i], level[i + 1]] : [level[i + 1], level[i]];
      next.push(sha256(concat(Uint8Array.of(1), a, b)));
    }
    level = next;
  }
  return level[0];
}

const TREES = { uniswap: uniswapRoot, oz: ozRoot, distributor: distributorRoot };

function frontMatter(text, key) {
  const match = text.split("\n+++")[0].match(new RegExp(`^${key}\\s*=\\s*(.+)$`, "m"));
  if (!match) throw new Error(`the document has no ${key}`);
  return match[1].trim().replace(/^"(.*)"$/, "$1");
}

async function fetchOk(url, kind) {
  const response = await fetch(url, { cache: "no-store", credentials: "omit" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return kind === "json" ? response.json() : new Uint8Array(await response.arrayBuffer());
}

/** Verify every release listed by this site; resolves to the number verified. */
export async function verifyReleases(now = new Date()) {
  const [roots, listed] = await Promise.all([fetchOk("/v1/policies/roots", "json"), fetchOk("/v1/releases", "json")]);
  verifyRoots(roots, now);
  const previous = {};
  for (const release of listed) {
    const { destination_chain: chain, number } = release;
    const what = `release ${number} of ${chain}`;
    const base = `/releases/${chain}/${number}`;
    const [raw, bundle, entriesRaw] = await Promise.all([fetchOk(`${base}.md`, "bytes"),
      fetchOk(`${base}.md.sig.json`, "json"), fetchOk(`${base}.entries.json`, "bytes")]);
    const digest = toHex(sha256(raw));
    if (digest !== release.sha256) throw new Error(`${what}: its bytes do not hash to the sha256 listed`);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    const prev = frontMatter(text, "prev");
    if (Number(frontMatter(text, "number")) !== number || frontMatter(text, "destination_chain") !== chain) {
      throw new Error(`${what}: the document is another release`);
    }
    const expected = previous[chain] ? previous[chain].number + 1 : 1;
    if (number !== expected) throw new Error(`${what}: release ${expected} comes first`);
    if (prev !== (previous[chain] ? previous[chain].sha256 : "")) throw new Error(`${what}: prev is not the release before`);
    const root = roots.find((r) => r.version === (bundle.root_version ?? 1));
    if (!root) throw new Error(`${what} names trust root version ${bundle.root_version}, which is not served`);
    requireThreshold(`Token release ${chain} number ${number}\nsha256:${digest}\nprev:${prev}`, bundle.signatures,
                     root, what);
    if (toHex(sha256(entriesRaw)) !== frontMatter(text, "entries_sha256")) {
      throw new Error(`${what}: the entries do not hash to entries_sha256`);
    }
    const entries = JSON.parse(new TextDecoder().decode(entriesRaw));
    const tree = TREES[frontMatter(text, "tree")];
    if (!tree || "0x" + toHex(tree(entries)) !== frontMatter(text, "merkle_root")) {
      throw new Error(`${what}: the root of its entries is not the merkle_root that was signed`);
    }
    checkCorrections(what, text, entries);
    previous[chain] = { number, sha256: digest };
  }
  return listed.length;
}

/** The signed text's corrections section lists each upheld case the entries pay, as paid, and no other
 *  (policy/release_corrections.py checks kind, category and reason's form too; the server checks them
 *  against the decisions). */
function checkCorrections(what, text, entries) {
  const lines = text.split("\n");
  const start = lines.indexOf("## Corrections");
  const section = [];
  for (const line of start < 0 ? [] : lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    if (line.startsWith("- ")) section.push(line);
  }
  const paid = entries.flatMap((entry) => entry.sources.filter((source) => source.case_id)
    .map((source) => ({ ...source, destination: entry.destination })));
  if (section.length !== paid.length) {
    throw new Error(`${what}: its entries pay ${paid.length} correction(s), its document lists ${section.length}`);
  }
  for (const source of paid) {
    const line = section.find((l) => l.startsWith(`- Case \`${source.case_id}\`: address \`${source.snapshot_address}\``));
    if (!line || !line.includes(`to \`${source.destination}\``) || !line.includes(`(${source.amount} base units)`)) {
      throw new Error(`${what}: the correction of case ${source.case_id} is not listed as its entry pays it`);
    }
  }
}

async function main() {
  const section = document.getElementById("release-verify");
  if (!section) return;
  const verdict = section.querySelector("[data-verdict]");
  try {
    const count = await verifyReleases();
    verdict.dataset.verdict = "verified";
    verdict.textContent = `Verified in your browser: ${count} release(s), each signed by the threshold of its trust ` +
      "root, chained to the one before, its entries hashing to what was signed and giving its Merkle root.";
  } catch (error) {
    verdict.dataset.verdict = "failed";
    verdict.textContent = `NOT verified: ${error.message}. Do not claim from a contract this page names.`;
  }
}

if (typeof document !== "undefined") main();
