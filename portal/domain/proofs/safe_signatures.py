"""A Safe's message hash and its signature encoding: pure functions, no node.

What a Safe (v1.3.0 and later) owner signs for a message is the EIP-712 ``SafeMessage(bytes message)``
hash with the domain ``(chainId, verifyingContract = the Safe)``. For the portal's challenge, the Safe
message is the 32-byte EIP-191 digest of the stored challenge text (what Safe{Wallet} computes when a
dApp asks it to ``personal_sign``), so ``isValidSignature(digest, signatures)`` on the Safe checks it.

A Safe signature blob is a run of 65-byte parts ``r ‖ s ‖ v``, sorted by owner, then the dynamic parts:
- ``v`` 27/28: ECDSA over the SafeMessage hash (an EIP-712 signature of the typed data below);
- ``v`` 31/32: ``eth_sign`` (personal_sign) over the hash, ``v`` + 4;
- ``v`` 0: a contract owner (EIP-1271); ``r`` is the owner, ``s`` the offset of ``uint256 length ‖ bytes``
  (the Safe asks it the legacy ``isValidSignature(bytes data, bytes)``: ``data`` is the message itself up to
  v1.3, and ``safe_message_data`` from v1.4 on);
- ``v`` 1: a hash the owner approved on chain (``approveHash``); ``r`` is the owner.

Invariants: ``parse`` refuses (400 ``malformed_signature``) anything that is not one such part, and
never reads past the blob; ``encode`` writes parts sorted by owner, with dynamic parts after all fixed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eth_utils import to_checksum_address

from portal.domain.proofs.secp256k1 import SECP256K1_HALF_N, keccak, recover_address
from portal.errors import MalformedSignatureError

Kind = Literal["ecdsa", "eth_sign", "contract", "approved_hash"]
DOMAIN_TYPEHASH = keccak(b"EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_MSG_TYPEHASH = keccak(b"SafeMessage(bytes message)")
MAX_CONTRACT_SIGNATURE_BYTES = 2048
FIELD = "signature"


@dataclass(frozen=True, slots=True)
class OwnerSignature:
    """One owner's part: who (checksummed; recovered for ECDSA kinds), which kind, and the bytes that go on chain
    (``r ‖ s ‖ v`` and, for a contract owner, its own signature as ``dynamic``)."""

    owner: str
    kind: Kind
    part: bytes
    dynamic: bytes = b""


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def safe_message_data(chain_id: int, safe: str, message: bytes) -> bytes:
    """``0x19 0x01 ‖ domainSeparator ‖ hashStruct(SafeMessage)``: what the SafeMessage hash is the keccak of (and
    what a Safe v1.4 hands a contract owner to sign over)."""
    separator = keccak(DOMAIN_TYPEHASH + _word(chain_id) + bytes(12) + bytes.fromhex(safe[2:]))
    return b"\x19\x01" + separator + keccak(SAFE_MSG_TYPEHASH + keccak(message))


def safe_message_hash(chain_id: int, safe: str, message: bytes) -> bytes:
    return keccak(safe_message_data(chain_id, safe, message))


def typed_data(chain_id: int, safe: str, message: bytes) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload whose signature is an owner's ECDSA part (what Safe{Wallet} asks)."""
    return {"types": {"EIP712Domain": [{"name": "chainId", "type": "uint256"},
                                       {"name": "verifyingContract", "type": "address"}],
                      "SafeMessage": [{"name": "message", "type": "bytes"}]},
            "primaryType": "SafeMessage", "domain": {"chainId": chain_id, "verifyingContract": safe},
            "message": {"message": "0x" + message.hex()}}


def parse_hex(text: Any, max_bytes: int = 65 + 32 + 32 + MAX_CONTRACT_SIGNATURE_BYTES) -> bytes:
    if not isinstance(text, str) or len(text) > 2 + 2 * max_bytes:
        raise MalformedSignatureError(f"signature must be hex of at most {max_bytes} bytes", field=FIELD)
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if len(digits) % 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise MalformedSignatureError("signature is not hex (an even number of 0-9a-f digits)", field=FIELD)
    return bytes.fromhex(digits)


def _owner_word(word: bytes) -> str:
    if any(word[:12]):
        raise MalformedSignatureError("a contract or approved-hash part must carry the owner address in r",
                                      field=FIELD)
    return to_checksum_address(word[12:])


def parse_part(blob: bytes, index: int, safe_hash: bytes) -> OwnerSignature:
    """Part ``index`` of ``blob``, with its owner (recovered for the ECDSA kinds)."""
    start = index * 65
    if len(blob) < start + 65:
        raise MalformedSignatureError(f"signature part {index + 1} is cut short (65 bytes each)", field=FIELD)
    part = blob[start:start + 65]
    r, s, v = part[:32], part[32:64], part[64]
    if v == 0:
        offset = int.from_bytes(s)
        if offset < 65 or offset + 32 > len(blob):
            raise MalformedSignatureError("a contract owner's part points outside the signature", field=FIELD)
        length = int.from_bytes(blob[offset:offset + 32])
        if length > MAX_CONTRACT_SIGNATURE_BYTES or offset + 32 + length > len(blob):
            raise MalformedSignatureError("a contract owner's signature runs past the end", field=FIELD)
        return OwnerSignature(_owner_word(r), "contract", part, blob[offset + 32:offset + 32 + length])
    if v == 1:
        return OwnerSignature(_owner_word(r), "approved_hash", part)
    if v in (27, 28, 31, 32):
        if int.from_bytes(s) > SECP256K1_HALF_N:
            raise MalformedSignatureError("signature has a high s value (malleable form); sign again", field=FIELD)
        eth_sign = v > 30
        digest = keccak(b"\x19Ethereum Signed Message:\n32" + safe_hash) if eth_sign else safe_hash
        signer = recover_address(digest, r + s + bytes([(v - 4 if eth_sign else v) - 27]))
        return OwnerSignature(to_checksum_address(signer), "eth_sign" if eth_sign else "ecdsa", part)
    raise MalformedSignatureError(f"signature v must be 0 (contract), 1 (approved hash), 27/28 (ECDSA) or 31/32 "
                                  f"(eth_sign), got {v}", field=FIELD)


def parse_one(text: str, safe_hash: bytes) -> OwnerSignature:
    """One owner's signature as submitted: 65 bytes, or a contract part followed by its dynamic part
    (offset 65), or a bare 65-byte ``eth_sign`` / ECDSA signature with v 0/1 normalised to 27/28."""
    blob = parse_hex(text)
    if len(blob) == 65 and blob[64] in (0, 1) and any(blob[:12]):
        blob = blob[:64] + bytes([blob[64] + 27])  # a wallet's raw ECDSA signature with v 0/1, not a Safe part
    signature = parse_part(blob, 0, safe_hash)
    expected = 65 + (32 + len(signature.dynamic) if signature.kind == "contract" else 0)
    if len(blob) != expected:
        raise MalformedSignatureError(f"one owner's signature is {expected} bytes here, got {len(blob)}", field=FIELD)
    return signature


def parse_all(blob: bytes, safe_hash: bytes, count: int) -> list[OwnerSignature]:
    """The first ``count`` parts of a whole Safe signature (a ``preparedSignature``)."""
    return [parse_part(blob, index, safe_hash) for index in range(count)]


def encode(signatures: list[OwnerSignature]) -> bytes:
    """The blob ``checkSignatures`` wants: parts sorted by owner, contract signatures' dynamic parts after them."""
    ordered = sorted(signatures, key=lambda sig: int(sig.owner, 16))
    fixed, dynamic = b"", b""
    tail_start = 65 * len(ordered)
    for sig in ordered:
        if sig.kind == "contract":
            offset = tail_start + len(dynamic)
            fixed += sig.part[:32] + _word(offset) + b"\x00"
            dynamic += _word(len(sig.dynamic)) + sig.dynamic
        else:
            fixed += sig.part
    return fixed + dynamic
