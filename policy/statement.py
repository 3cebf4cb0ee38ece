"""The short, human-readable statement that is signed, and EIP-191 signing and recovery.

Signed with ``personal_sign`` so anyone can check it with tools they have: a wallet, a block
explorer's "verify signature" page, or ``Account.recover_message(encode_defunct(text=...))``.
For version 1 the last line is ``prev:`` with nothing after it.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature

from policy.canonical import statement_text
from policy.document import PolicyDocument
from policy.errors import MalformedSignatureError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def statement(doc: PolicyDocument) -> str:
    """The signed text; ``parse_document`` guaranteed the fields are what ``policy.canonical`` reads."""
    return statement_text(doc.slug, doc.version, doc.sha256, doc.prev)


def signature_bytes(signature: str) -> bytes:
    """65 bytes r ‖ s ‖ v from hex; refuses bad length, bad v and malleable high-s forms."""
    text = signature[2:] if signature[:2] in ("0x", "0X") else signature
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise MalformedSignatureError("signature is not hex") from None
    if len(raw) != 65:
        raise MalformedSignatureError(f"signature must be 65 bytes, got {len(raw)}")
    if raw[64] not in (0, 1, 27, 28):
        raise MalformedSignatureError(f"signature v must be 0, 1, 27 or 28, got {raw[64]}")
    if int.from_bytes(raw[32:64]) > SECP256K1_N // 2:
        raise MalformedSignatureError("signature has a high s value (malleable form); re-sign with a current wallet")
    return raw[:64] + bytes([raw[64] if raw[64] >= 27 else raw[64] + 27])


def recover_signer(text: str, signature: str) -> str:
    """The checksummed address that signed ``text`` with personal_sign."""
    raw = signature_bytes(signature)
    try:
        return Account.recover_message(encode_defunct(text=text), signature=raw)
    except (BadSignature, ValueError) as exc:
        raise MalformedSignatureError(f"signature does not recover to any key: {exc}") from None


def sign_statement(text: str, private_key: Any) -> str:
    return "0x" + Account.sign_message(encode_defunct(text=text), private_key).signature.hex().removeprefix("0x")
