// The live hint under the destination field, by the server's own rule (snapshot/addresses.py):
// - EVM: 0x and 40 hex digits, in one case, or in mixed case only with a valid EIP-55
//   checksum (keccak-256, from the same vendored @noble bundle the policy page uses);
// - Solana: base58 of exactly 32 bytes.
// It is only a hint: when the server has spoken (the field shows its error), the hint stays away
// until the holder edits the address again, so the page never says two things at once.
// The bundle is imported only where a destination is typed, not by every page that loads main.js.
let keccak256 = null;

/** Load keccak-256 once; evmVerdict needs it for mixed-case addresses. */
export async function ready() {
  keccak256 ??= (await import("../vendor/noble/noble.js")).keccak_256;
}

const HEX40 = /^0x[0-9a-fA-F]{40}$/;  // "0X" is refused by the server too
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** EIP-55 text of 40 lowercase hex digits (without 0x). */
function eip55(lowercase) {
  const hash = keccak256(new TextEncoder().encode(lowercase));
  return Array.from(lowercase, (c, i) => {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    return nibble >= 8 ? c.toUpperCase() : c;
  }).join("");
}

/** The server's EVM rule: "ok", "checksum" (mixed case failing EIP-55) or null (not an EVM address). */
export function evmVerdict(text) {
  if (!HEX40.test(text)) return null;
  const digits = text.slice(2);
  const lower = digits.toLowerCase();
  if (digits === lower || digits === digits.toUpperCase() || digits === eip55(lower)) return "ok";
  return "checksum";
}

/** Bytes of a base58 text, or null when a character is not base58. */
function base58Length(text) {
  const bytes = [];
  for (const char of text) {
    let carry = BASE58.indexOf(char);
    if (carry < 0) return null;
    for (let i = 0; i < bytes.length; i += 1) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros += 1;
  return bytes.length + zeros;
}

export function isSolana(text) {
  return text.length > 0 && base58Length(text) === 32;
}

export function hintFor(value, chain) {
  if (!value) return "";
  const evm = evmVerdict(value);
  const solana = isSolana(value);
  if (chain === "evm" && solana) return "This looks like a Solana address, but you chose Ethereum.";
  if (chain === "solana" && evm) return "This looks like an Ethereum address, but you chose Solana.";
  if (evm === "checksum") {
    return "One or more letters of this address have the wrong case, which usually means a typo. Copy it from your wallet again.";
  }
  if ((chain === "evm" && evm === "ok") || (chain === "solana" && solana)) {
    return "This is a well-formed address. Check it against your wallet.";
  }
  return "This is not a complete address yet.";
}

export function bindAddressCheck(output) {
  const input = document.getElementById(output.dataset.for);
  const chain = input.form.querySelector("input[name=chain]")?.value;
  const check = () => ready().then(() => { output.textContent = hintFor(input.value.trim(), chain); });
  input.addEventListener("input", check);
  if (!input.classList.contains("input-error")) check();  // the server has spoken: its error stands alone
}
