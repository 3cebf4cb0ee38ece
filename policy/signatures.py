"""Signature files: ``<doc>.sig.json`` = ``{"signatures": [{"signer": "0x…", "signature": "0x…"}]}``.

The same file is what the portal serves next to each version's exact bytes
(``/policy/<slug>/versions/<n>.md.sig.json``), with ``root_version`` naming the trust root the
version was published under, so ``portal policy verify`` reads a downloaded bundle unchanged.
"""

from __future__ import annotations

from pathlib import Path

import msgspec


class Signature(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    signer: str
    signature: str


class SignatureFile(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    signatures: list[Signature]
    root_version: int | None = None


def sig_path(path: Path) -> Path:
    """``root.toml`` -> ``root.sig.json``; ``official.md`` -> ``official.md.sig.json``."""
    return path.with_suffix(".sig.json") if path.suffix == ".toml" else path.with_name(path.name + ".sig.json")


def decode_signature_file(data: bytes) -> SignatureFile:
    return msgspec.json.decode(data, type=SignatureFile)


def encode_signature_file(signatures: list[Signature], root_version: int | None = None) -> bytes:
    return msgspec.json.format(msgspec.json.encode(SignatureFile(signatures, root_version)), indent=2) + b"\n"


def load_signatures(path: Path) -> list[Signature]:
    if not path.exists():
        return []
    return decode_signature_file(path.read_bytes()).signatures


def dump_signatures(path: Path, signatures: list[Signature]) -> None:
    path.write_bytes(encode_signature_file(signatures))


def add_signature(signatures: list[Signature], new: Signature) -> list[Signature]:
    """Replace an earlier signature by the same signer (re-signing), keep the rest in order."""
    return [s for s in signatures if s.signer.lower() != new.signer.lower()] + [new]
