"""Signature files: ``<doc>.sig.json`` = ``{"signatures": [{"signer": "0x…", "signature": "0x…"}]}``."""

from __future__ import annotations

from pathlib import Path

import msgspec


class Signature(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    signer: str
    signature: str


class SignatureFile(msgspec.Struct, forbid_unknown_fields=True):
    signatures: list[Signature]


def load_signatures(path: Path) -> list[Signature]:
    if not path.exists():
        return []
    return msgspec.json.decode(path.read_bytes(), type=SignatureFile).signatures


def dump_signatures(path: Path, signatures: list[Signature]) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(SignatureFile(signatures)), indent=2) + b"\n")


def add_signature(signatures: list[Signature], new: Signature) -> list[Signature]:
    """Replace an earlier signature by the same signer (re-signing), keep the rest in order."""
    return [s for s in signatures if s.signer.lower() != new.signer.lower()] + [new]
