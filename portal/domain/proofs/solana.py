"""``solana``: ed25519 over the stored message, as wallets' signMessage or an off-chain envelope.

Tried in order, cheapest and commonest first: the plain UTF-8 bytes (Phantom, Solflare,
``signMessage``); then the Solana off-chain message envelope (``\\xffsolana offchain``, version 0)
that Ledger and the Solana CLI sign, in both layouts seen in the wild: the current one (application
domain, format, one signer, length) and the older one (format, length). The envelopes are rebuilt
here from the stored message, our application domain (``messages.application_domain``: sha256 of
the public host) and the snapshot key; nothing the client sends is parsed. See ``envelopes`` for
the accepted format bytes and domains. A failed proof costs at most 1 + 9 ed25519 verifies.
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


ZERO_DOMAIN = bytes(32)
MAX_BODY_BYTES = 0xFFFF  # the u16 length field

# The off-chain message spec (agave docs/src/proposals/off-chain-message-signing.md; solana-sdk
# ``offchain_message.rs``): formats 0 and 1 must fit, preamble and body together, in one packet,
# ``PACKET_DATA_SIZE`` = 1280 (IPv6 minimum MTU) - 40 (IPv6 header) - 8 (fragment header) = 1232
# bytes, which is also the most a Ledger takes. Field sizes of the preamble, in bytes:
PACKET_DATA_SIZE = 1280 - 40 - 8
SIGNING_DOMAIN_BYTES = len(SIGNING_DOMAIN)  # 16
VERSION_BYTES = 1
APPLICATION_DOMAIN_BYTES = 32
FORMAT_BYTES = 1
SIGNER_COUNT_BYTES = 1
SIGNER_BYTES = 32
LENGTH_BYTES = 2


def preamble_bytes(layout: str, signer_count: int = 1) -> int:
    """Bytes before the message body in a version-0 envelope of ``layout``.

    ``v0`` (the spec's header, what current SDKs, the Ledger app and Wallet-Standard tools build):
    signing domain + version + application domain + format + signer count + 32 per signer + length,
    which is 53 + 32 x signers (85 for our single signer). ``v0_legacy`` (solana-sdk before 3.0 and
    the Solana CLI built on it): signing domain + version + format + length = 20.
    """
    if layout == "v0":
        return (SIGNING_DOMAIN_BYTES + VERSION_BYTES + APPLICATION_DOMAIN_BYTES + FORMAT_BYTES
                + SIGNER_COUNT_BYTES + SIGNER_BYTES * signer_count + LENGTH_BYTES)
    if layout == "v0_legacy":
        return SIGNING_DOMAIN_BYTES + VERSION_BYTES + FORMAT_BYTES + LENGTH_BYTES
    raise ValueError(f"unknown off-chain layout {layout!r}")


def format0_max_body_bytes(layout: str = "v0", signer_count: int = 1) -> int:
    """The longest format-0 body that still fits ``PACKET_DATA_SIZE`` with ``layout``'s preamble."""
    return PACKET_DATA_SIZE - preamble_bytes(layout, signer_count)


# The binding limit for a one-line challenge: the smallest over every layout we accept with our one
# signer, i.e. the spec's v0 header: 1232 - 85 = 1147 bytes (the legacy header would allow 1212).
FORMAT0_MAX_BODY_BYTES = min(format0_max_body_bytes("v0"), format0_max_body_bytes("v0_legacy"))


def is_restricted_ascii(message: bytes) -> bool:
    """Format 0's alphabet: printable ASCII 0x20-0x7e, no line feed."""
    return all(0x20 <= b <= 0x7E for b in message)


def allowed_formats(message: bytes) -> tuple[int, ...]:
    """Message-format bytes a signer may have put in the envelope for this text, commonest first.

    0 (restricted ASCII) is printable ASCII 0x20-0x7e: every tool marks a one-line challenge 0, so
    it comes first there. The Solana SDK and @solana/kit read 0 without line feeds, so they mark
    our multi-line text 1 (limited UTF-8), while Ledger's app also shows 0 with line feeds: for
    ASCII text all of 0, 1 and 2 are accepted. 2 (extended UTF-8) is any UTF-8 text. The format
    byte is inside the signed bytes and only changes how a device displays the same text, so
    accepting each of them proves the same thing.
    """
    if is_restricted_ascii(message):
        return (0, 1, 2)
    if message.isascii() and all(0x20 <= b <= 0x7E or b == 0x0A for b in message):
        return (1, 0, 2)
    return (1, 2)


def _name(layout: str, fmt: bytes, usual_format: bool, zero_domain: bool) -> str:
    """``offchain_v0`` / ``offchain_v0_legacy`` for what the Solana SDK builds, qualified otherwise."""
    return layout + (":zero_domain" if zero_domain else "") + ("" if usual_format else f":format{fmt[0]}")


def envelopes(message: bytes, signer: bytes, app_domain: bytes) -> list[tuple[str, bytes]]:
    """Every off-chain envelope of ``message`` we accept, rebuilt from our own facts.

    Current layout: signing domain, version 0, application domain (ours, or 32 zero bytes from tools
    that leave it unset), format, signer count 1, the snapshot key, u16 LE length, message. Older
    layout (what ``solana sign-offchain-message`` signs): signing domain, version 0, format, u16 LE
    length, message. The snapshot key as the one signer and the exact length are part of the bytes,
    so a signature over any other envelope does not verify.
    """
    if len(message) > MAX_BODY_BYTES:
        return []
    length = len(message).to_bytes(2, "little")
    formats = [bytes([fmt]) for fmt in allowed_formats(message)]
    domains = [app_domain] if app_domain == ZERO_DOMAIN else [app_domain, ZERO_DOMAIN]
    current = [(_name("offchain_v0", fmt, index == 0, domain != app_domain),
                SIGNING_DOMAIN + b"\x00" + domain + fmt + b"\x01" + signer + length + message)
               for domain in domains for index, fmt in enumerate(formats)]
    legacy = [(_name("offchain_v0_legacy", fmt, index == 0, False), SIGNING_DOMAIN + b"\x00" + fmt + length + message)
              for index, fmt in enumerate(formats)]
    return current + legacy


def verify(facts: ChallengeFacts, signature: str, *, app_domain: bytes) -> ProvenSigner:
    """The plain UTF-8 bytes are tried first and alone (the common case costs one ed25519 verify);
    envelopes only when that fails."""
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
                                 "message (plain signMessage or off-chain message v0); sign exactly the message "
                                 "shown, with the snapshot address's key", field=FIELD)
