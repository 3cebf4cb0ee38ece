"""Trust roots as a served history: the anchor from ``PORTAL_POLICY_ROOT``, then each rotation.

Invariants: the stored roots run 1..n (or anchor..n) without gaps, each stored only after
``policy.root.verify_root_chain`` accepted it from the one before (old threshold *and* its own);
the configured anchor is one of them, so a server started with another root than the one its
database was built under refuses to publish instead of quietly starting a second history. Until
anything is published the anchor is served alone. The newest stored root is the one policy
versions are checked against.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from policy.errors import PolicyError
from policy.root import TrustRoot, parse_root, root_statement, verify_root_chain
from policy.signatures import Signature, load_signatures, sig_path
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.errors import NotFoundError, PolicyRejectedError, SettingsError
from portal.store import policies as store
from portal.store.database import Connection


class Anchor(msgspec.Struct, frozen=True):
    """The root this server was configured with and the signatures found beside its file."""

    root: TrustRoot
    signatures: list[Signature]


class Publication(msgspec.Struct, frozen=True):
    """A request to publish signed text (a policy document or the next root): the exact text, the
    signatures over its statement, and who asked, for the audit event."""

    text: str
    signatures: list[Signature]
    actor: str
    client: str | None = None


def load_anchor(path: str | None) -> Anchor | None:
    """The trust root named by ``PORTAL_POLICY_ROOT`` and its ``.sig.json`` beside it, if any.

    A bad file stops start-up naming the variable.
    """
    if path is None:
        return None
    try:
        return Anchor(parse_root(Path(path).read_bytes()), load_signatures(sig_path(Path(path))))
    except OSError as exc:
        raise SettingsError("PORTAL_POLICY_ROOT", f"cannot read {path}: {exc.strerror}") from None
    except PolicyError as exc:
        raise SettingsError("PORTAL_POLICY_ROOT", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise SettingsError("PORTAL_POLICY_ROOT", f"{sig_path(Path(path))}: {exc}") from None


class RootVersion(msgspec.Struct, frozen=True):
    """A served trust root as JSON: the exact TOML, its fields, and the signatures that rotated it in."""

    version: int
    sha256: str
    threshold: int
    signers: list[str]
    expires: dt.datetime
    expired: bool
    statement: str
    document: str
    signatures: list[Signature]


def _stored(root: TrustRoot, signatures: list[Signature], actor: str, now: dt.datetime) -> store.StoredRoot:
    return store.StoredRoot(version=root.version, document=root.raw, sha256=root.sha256,
                            signatures=[store.StoredSignature(s.signer, s.signature) for s in signatures],
                            expires=root.expires, published_by=actor, published_at=now)


def view(stored: store.StoredRoot, now: dt.datetime) -> RootVersion:
    root = parse_root(stored.document)
    return RootVersion(version=root.version, sha256=root.sha256, threshold=root.threshold, signers=list(root.signers),
                       expires=root.expires, expired=now >= root.expires, statement=root_statement(root),
                       document=stored.document.decode("utf-8"),
                       signatures=[Signature(s.signer, s.signature) for s in stored.signatures])


async def served(conn: Connection, anchor: Anchor | None) -> list[store.StoredRoot]:
    """Every root a verifier can walk, oldest first: the stored history, or the anchor alone."""
    stored = await store.roots(conn)
    if stored or anchor is None:
        return stored
    return [_stored(anchor.root, anchor.signatures, "config", dt.datetime.fromtimestamp(0, dt.UTC))]


async def current(conn: Connection, anchor: Anchor | None) -> TrustRoot | None:
    roots = await served(conn, anchor)
    return parse_root(roots[-1].document) if roots else None


async def for_write(conn: Connection, anchor: Anchor | None, now: dt.datetime) -> TrustRoot:
    """The newest root, under the roots lock; stores the anchor first when nothing is stored yet."""
    await store.lock_roots(conn)
    stored = await store.roots(conn)
    if not stored:
        if anchor is None:
            raise PolicyRejectedError("no trust root is configured on this server (PORTAL_POLICY_ROOT)",
                                      code="no_trust_root")
        await store.insert_root(conn, _stored(anchor.root, anchor.signatures, "config", now))
        return anchor.root
    if anchor is not None and anchor.root.sha256 not in {s.sha256 for s in stored}:
        raise PolicyRejectedError(
            f"PORTAL_POLICY_ROOT (sha256 {anchor.root.sha256[:12]}…) is not in this database's trust root "
            "history; point it at a root this database was built under", code="root_mismatch")
    return parse_root(stored[-1].document)


async def publish(conn: Connection, publication: Publication, anchor: Anchor | None, now: dt.datetime
                  ) -> RootVersion:
    """Rotate: store the next root when the current root's threshold and its own both signed it.

    Runs in the caller's transaction (the roots lock is held until it commits)."""
    try:
        candidate = parse_root(publication.text.encode("utf-8"))
    except PolicyError as exc:
        raise PolicyRejectedError(str(exc), field="root", code=exc.code) from None
    newest = await for_write(conn, anchor, now)
    try:
        verify_root_chain(newest, [(candidate, publication.signatures)], now)
    except PolicyError as exc:
        raise PolicyRejectedError(str(exc), field="root" if exc.code == "invalid_root" else "signatures",
                                  code=exc.code) from None
    stored = _stored(candidate, publication.signatures, publication.actor, now)
    await store.insert_root(conn, stored)
    await record(conn, AuditEntry(
                 AuditAction.POLICY_ROOT_PUBLISHED, at=now, actor=publication.actor, subject="policy:root",
                 data={"version": candidate.version, "sha256": candidate.sha256}, client=publication.client))
    return view(stored, now)


async def one(conn: Connection, anchor: Anchor | None, number: int) -> store.StoredRoot:
    for stored in await served(conn, anchor):
        if stored.version == number:
            return stored
    raise NotFoundError(f"no trust root version {number} is published", field="version")


async def history(conn: Connection, anchor: Anchor | None, now: dt.datetime) -> list[RootVersion]:
    """Every served root as JSON, oldest first."""
    return [view(stored, now) for stored in await served(conn, anchor)]


async def version(conn: Connection, anchor: Anchor | None, number: int, now: dt.datetime) -> RootVersion:
    return view(await one(conn, anchor, number), now)
