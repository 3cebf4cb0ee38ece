"""The audit key: one 32-byte secret the database never sees, and what is derived from it.

From the secret come, by domain-separated HMAC-SHA256:
- the **chain key**, under which every event's hash is an HMAC (so whoever holds only the database
  cannot recompute a chain that verifies after editing an event);
- an **ed25519 signing key** for checkpoints ``{seq, head_hash, at}``. Its public key is published
  with every checkpoint; a mirror or an auditor pins it once (``portal audit public-key``) and can then
  check every checkpoint it copies without holding the secret.

The key file holds the secret as 64 hex digits; lines starting with ``#`` are comments. A file this
module generates says so in its first line (made by ``serve``, the demo, or the first audited write
when ``PORTAL_AUDIT_KEY_FILE`` names no file). It is created with mode 0600 and atomically (written
beside, then hard-linked into place), so two workers starting together end up with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from portal.errors import SettingsError

SECRET_BYTES = 32
KEY_VARIABLE = "PORTAL_AUDIT_KEY_FILE"
_CHAIN_LABEL = b"migration-portal audit chain v2"
_SIGNING_LABEL = b"migration-portal audit checkpoint v1"
_STATEMENT = "migration-portal audit checkpoint\nseq:{seq}\nhead:{head_hash}\nat:{at}"


@dataclass(frozen=True)
class AuditKey:
    """The keys of one deployment; ``repr`` shows only the public key."""

    chain_key: bytes
    signing_key: SigningKey

    @classmethod
    def from_secret(cls, secret: bytes) -> AuditKey:
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"an audit secret is {SECRET_BYTES} bytes")
        chain_key = hmac.new(secret, _CHAIN_LABEL, hashlib.sha256).digest()
        seed = hmac.new(secret, _SIGNING_LABEL, hashlib.sha256).digest()
        return cls(chain_key, SigningKey(seed))

    @property
    def public_key(self) -> str:
        return self.signing_key.verify_key.encode().hex()

    def __repr__(self) -> str:
        return f"AuditKey(public_key={self.public_key})"


def checkpoint_statement(seq: int, head_hash: str, at: str) -> bytes:
    """The exact bytes a checkpoint signature covers (short and readable, like policy statements)."""
    return _STATEMENT.format(seq=seq, head_hash=head_hash, at=at).encode("ascii")


def sign(key: AuditKey, seq: int, head_hash: str, at: str) -> str:
    return key.signing_key.sign(checkpoint_statement(seq, head_hash, at)).signature.hex()


def signature_valid(public_key_hex: str, seq: int, head_hash: str, at: str, signature_hex: str) -> bool:
    try:
        VerifyKey(bytes.fromhex(public_key_hex)).verify(checkpoint_statement(seq, head_hash, at),
                                                        bytes.fromhex(signature_hex))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def load_key_file(path: str | Path) -> AuditKey:
    """The key in ``path``; ``SettingsError`` naming ``PORTAL_AUDIT_KEY_FILE`` when absent or malformed."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        raise SettingsError(KEY_VARIABLE, f"cannot read the audit key {path}: {exc}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    try:
        secret = bytes.fromhex(lines[0]) if len(lines) == 1 else b""
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise SettingsError(KEY_VARIABLE, f"{path} must hold one line of {2 * SECRET_BYTES} hex digits")
    return AuditKey.from_secret(secret)


def ensure_key_file(path: str | Path, *, now: dt.datetime) -> tuple[AuditKey, bool]:
    """Load the key at ``path``, generating it first when there is none; ``(key, generated)``."""
    target = Path(path)
    if target.exists():
        return load_key_file(target), False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(f"# migration-portal audit key, GENERATED {now.isoformat(timespec='seconds')} because "
                     f"{KEY_VARIABLE} named no file.\n# Keep a copy off this host; whoever holds it and the "
                     "database can rewrite the audit chain.\n" + secrets.token_hex(SECRET_BYTES) + "\n")
    try:
        os.link(staging, target)
        generated = True
    except FileExistsError:
        generated = False  # another process won the race: use its key
    finally:
        staging.unlink()
    return load_key_file(target), generated
