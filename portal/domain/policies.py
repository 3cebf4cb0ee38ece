"""Signed policy versions: publish one, read them, and pick the main policy the site speaks for.

Invariant: a stored version passed ``policy.verify.check_policy`` against the newest stored trust
root (``portal.domain.policy_roots``) and the slug's previous stored version, under a per-slug lock,
in the same transaction that stores it and appends its audit event. Verification is the library's, unchanged: the server
accepts exactly what ``portal policy verify`` accepts offline. Link checking over the main policy's
links is ``portal.domain.links``.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.bulletin import BULLETIN_SLUG
from policy.document import PolicyDocument, parse_document
from policy.errors import PolicyError
from policy.signatures import Signature, encode_signature_file
from policy.statement import statement
from policy.verify import check_policy
from portal.domain import policy_roots
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.policy_roots import Anchor, Publication
from portal.domain.readiness import Check
from portal.errors import NotFoundError, PolicyRejectedError
from portal.store import policies as store
from portal.store.database import Connection, Database

OFFICIAL_SLUG = "official"


class PolicyVersion(msgspec.Struct, frozen=True):
    """A published version as the JSON API shows it: everything needed to verify it offline."""

    slug: str
    version: int
    title: str
    sha256: str
    prev: str
    effective: dt.datetime
    expires: dt.datetime
    expired: bool
    statement: str
    document: str
    signatures: list[Signature]
    published_at: dt.datetime
    root_version: int


def _document(stored: store.StoredPolicy) -> PolicyDocument:
    return parse_document(stored.document)


def view(stored: store.StoredPolicy, now: dt.datetime) -> PolicyVersion:
    doc = _document(stored)
    return PolicyVersion(slug=doc.slug, version=doc.version, title=doc.title, sha256=doc.sha256, prev=doc.prev,
                         effective=doc.effective, expires=doc.expires, expired=now >= doc.expires,
                         statement=statement(doc), document=stored.document.decode("utf-8"),
                         signatures=[Signature(s.signer, s.signature) for s in stored.signatures],
                         published_at=stored.published_at, root_version=stored.root_version)


def signature_file(stored: PolicyVersion) -> bytes:
    """The ``.sig.json`` served next to a version's exact bytes: what ``portal policy verify`` reads."""
    return encode_signature_file(stored.signatures, stored.root_version)


def parse_submitted(document_text: str) -> PolicyDocument:
    try:
        return parse_document(document_text.encode("utf-8"))
    except PolicyError as exc:
        raise PolicyRejectedError(str(exc), field="document", code=exc.code) from None


async def publish(conn: Connection, publication: Publication, anchor: Anchor | None, now: dt.datetime
                  ) -> PolicyVersion:
    """Verify against the newest root and the previous version, then store and audit, all in the
    caller's transaction (the roots and slug locks are held until it commits)."""
    doc = parse_submitted(publication.text)
    root = await policy_roots.for_write(conn, anchor, now)
    await store.lock_slug(conn, doc.slug)
    latest = await store.latest(conn, doc.slug)
    previous = _document(latest) if latest else None
    result = check_policy(doc, publication.signatures, root, previous=previous, now=now)
    if not result.ok:
        first = result.problems[0]
        raise PolicyRejectedError(first.message, field="signatures" if "sign" in first.code else "document",
                                  code=first.code,
                                  extra={"problems": [msgspec.to_builtins(p) for p in result.problems]})
    stored = store.StoredPolicy(
        slug=doc.slug, version=doc.version, document=doc.raw, sha256=doc.sha256, prev=doc.prev,
        signatures=[store.StoredSignature(s.signer, s.signature) for s in publication.signatures],
        effective=doc.effective, expires=doc.expires, published_by=publication.actor, published_at=now,
        root_version=root.version)
    await store.insert(conn, stored)
    await record(conn, AuditEntry(
                 AuditAction.POLICY_PUBLISHED, at=now, actor=publication.actor, subject=f"policy:{doc.slug}",
                 data={"version": doc.version, "sha256": doc.sha256, "signers": result.signers,
                       "root_version": root.version}, client=publication.client))
    return view(stored, now)


async def current(conn: Connection, slug: str, now: dt.datetime) -> PolicyVersion:
    stored = await store.latest(conn, slug)
    if stored is None:
        raise NotFoundError(f"no policy {slug!r} is published", field="slug")
    return view(stored, now)


async def version(conn: Connection, slug: str, number: int, now: dt.datetime) -> PolicyVersion:
    stored = await store.version(conn, slug, number)
    if stored is None:
        raise NotFoundError(f"policy {slug!r} has no version {number}", field="version")
    return view(stored, now)


async def history(conn: Connection, slug: str, now: dt.datetime) -> list[PolicyVersion]:
    return [view(stored, now) for stored in await store.versions(conn, slug)]


async def current_all(conn: Connection, now: dt.datetime) -> list[PolicyVersion]:
    return [view(stored, now) for stored in await store.latest_of_each(conn)]


async def all_versions(conn: Connection, now: dt.datetime) -> list[PolicyVersion]:
    return [view(stored, now) for stored in await store.all_versions(conn)]


def main_policy(policies: list[PolicyVersion]) -> PolicyVersion | None:
    """The policy security.txt and the link checker speak for: ``official`` if published, else the first
    that is not a security bulletin (``policy.bulletin``: signed news, with no links of its own)."""
    return next((p for p in policies if p.slug == OFFICIAL_SLUG),
                next((p for p in policies if p.slug != BULLETIN_SLUG), None))


async def main_document(conn: Connection) -> PolicyDocument | None:
    """The main policy's parsed document (as ``main_policy`` picks it), without building every view."""
    latest = await store.latest_of_each(conn)
    main = next((s for s in latest if s.slug == OFFICIAL_SLUG),
                next((s for s in latest if s.slug != BULLETIN_SLUG), None))
    return _document(main) if main else None


async def readiness(db: Database, now: dt.datetime) -> Check:
    async with db.transaction() as conn:
        policies = await current_all(conn, now)
    expired = [f"{p.slug} v{p.version}" for p in policies if p.expired]
    if expired:
        return Check(False, "expired policy: " + ", ".join(expired))
    return Check(True, f"{len(policies)} current policy document(s)" if policies else "no policy published")
