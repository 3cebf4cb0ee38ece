"""``solana``: ed25519 over the stored message, as wallets' signMessage or an off-chain envelope.

Tried in order, cheapest and commonest first: the plain UTF-8 bytes (Phantom, Solflare,
``signMessage``); then the Solana off-chain message envelope (``\\xffsolana offchain``, version 0)
that Ledger and the Solana CLI sign, in both layouts seen in the wild: the current one (application
domain, format, one signer, length) and the older one (format, length). The envelopes are rebuilt
here from the stored message, our application domain and the snapshot key; nothing the client
sends is parsed. Message format 0 (restricted ASCII) when the text is printable ASCII, else 1.
"""

from __future__ import annotations

import base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.errors import MalformedSignatureError, SignatureMismatchError
from snapshot.addresses import b58decode_pubkey

SIGNING_DOMAIN = b"\xffsolana offchain"
FIELD = "signature"


def parse_signature(text: str) -> bytes:
    """64 bytes from base58 or hex (0x optional)."""
    if not isinstance(text, str) or len(text) > 200:
        raise MalformedSignatureError("signature must be 64 bytes as base58 or hex", field=FIELD)
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    raw: bytes | None = None
    if len(digits) == 128:
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base58.b58decode(text)
        except ValueError:
            raise MalformedSignatureError("signature is neither base58 nor hex", field=FIELD) from None
    if len(raw) != 64:
        raise MalformedSignatureError(f"signature must be 64 bytes, got {len(raw)}", field=FIELD)
    return raw


def message_format(message: bytes) -> int:
    return 0 if all(0x20 <= b <= 0x7E or b == 0x0A for b in message) else 1


def envelopes(message: bytes, signer: bytes, app_domain: bytes) -> list[tuple[str, bytes]]:
    fmt = bytes([message_format(message)])
    length = len(message).to_bytes(2, "little")
    return [
        ("offchain_v0", SIGNING_DOMAIN + b"\x00" + app_domain + fmt + b"\x01" + signer + length + message),
        ("offchain_v0_legacy", SIGNING_DOMAIN + b"\x00" + fmt + length + message),
    ]


def verify(facts: ChallengeFacts, signature: str, *, app_domain: bytes) -> ProvenSigner:
    raw = parse_signature(signature)
    public_key = b58decode_pubkey(facts.snapshot_address)
    key = VerifyKey(public_key)
    message = facts.message.encode("utf-8")
    try:
        key.verify(message, raw)
        return ProvenSigner(facts.snapshot_address, "solana", {"layout": "plain"})
    except BadSignatureError:
        pass
    for layout, envelope in envelopes(message, public_key, app_domain):
        try:
            key.verify(envelope, raw)
            return ProvenSigner(facts.snapshot_address, "solana", {"layout": layout})
        except BadSignatureError:
            continue
    raise SignatureMismatchError(f"the signature does not verify for {facts.snapshot_address} over this challenge's "
                                 "message (plain or off-chain envelope); sign exactly the message shown",
                                 field=FIELD)
