// Byte encodings the wallets speak: hex, base58 (Solana), base64, UTF-8.
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export const utf8 = (text) => new TextEncoder().encode(text);
export const hex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function base58(bytes) {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let text = "";
  while (value > 0n) { text = ALPHABET[Number(value % 58n)] + text; value /= 58n; }
  for (const byte of bytes) { if (byte !== 0) break; text = "1" + text; }
  return text;
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function toBase64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// The message of a serialized transaction: after the compact-u16 signature count and the signatures.
export function transactionMessage(wire) {
  let count = 0, shift = 0, offset = 0;
  for (;;) {
    const byte = wire[offset++];
    count |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  return wire.slice(offset + 64 * count);
}

// A solana_signTransaction answer: the whole signed transaction, or (Tangem) only the signature.
export function solanaTransactionAnswer(answer) {
  if (answer.signedTransaction) return ["signed_transaction", toBase64(answer.signedTransaction)];
  if (typeof answer.transaction === "string") return ["signed_transaction", answer.transaction];
  if (answer.signature instanceof Uint8Array) return ["signature", base58(answer.signature)];
  if (typeof answer.signature === "string") return ["signature", answer.signature];
  throw new Error("the wallet gave neither a signature nor a signed transaction");
}
