"""Pending documents: a policy version or a release uploaded in the staff console, signed there by
the trust root's signers one at a time, and published once the threshold is met.

Invariants:
- what is stored is the exact bytes uploaded; the statement is computed from them by the library
  (``policy.statement``, ``policy.release``): the text ``portal policy statement`` prints for the file;
- a signature is recorded only when ``policy.slips.root_signer_of`` accepts it against the newest
  trust root (the very check of ``portal policy add-signature``), and each signer once;
- publishing is ``policies.publish`` or ``releases.publish`` (the functions behind ``POST
  /v1/policies`` and ``POST /v1/releases``) over the stored signatures, and the document is closed in
  the same transaction: nothing is published here that the API or ``portal policy publish`` would refuse;
- every write is one transaction (the caller's) with its audit event; a document is closed once.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from policy.document import parse_document
from policy.errors import MalformedSignatureError as PolicyMalformedSignatureError
from policy.errors import PolicyError
from policy.release import (
    check_release,
    entries_path,
    entry_problems,
    is_release,
    parse_release,
    release_statement,
)
from policy.root import TrustRoot
from policy.signatures import Signature, encode_signature_file
from policy.slips import root_signer_of
from policy.statement import statement
from policy.verify import Problem, check_policy
from portal.domain import policies, policy_roots, releases
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.policy_roots import Anchor, Publication
from portal.errors import (
    ConflictError,
    InvalidInputError,
    MalformedSignatureError,
    NotFoundError,
    PolicyRejectedError,
)
from portal.store import pending as store
from portal.store import policies as policy_store
from portal.store import releases as release_store
from portal.store.database import Connection
from portal.store.pending import PendingListed, PendingRow, PendingSignature

MAX_DOCUMENT_BYTES = 256 * 1024
LISTED_CLOSED_DAYS = 30
LISTED_MAX = 100


class Staffer(msgspec.Struct, frozen=True):
    """Who acts, as the audit log names them: the actor, their client, how they signed in."""

    actor: str
    client: str | None = None
    audit_data: dict[str, str] = {}


class Upload(msgspec.Struct, frozen=True):
    """A document's exact bytes, a release's entries file, signatures already made (a ``.sig.json``)."""

    document: bytes
    entries: bytes | None
    signatures: list[Signature]
    by: Staffer


class Parsed(msgspec.Struct, frozen=True):
    kind: store.Kind
    label: str
    statement: str
    sha256: str
    published_path: str  # where it is served once published
    file_name: str  # the name the CLI gives it: official-v2.md, release-evm-1.md


class SignerState(msgspec.Struct, frozen=True):
    """A signer of the trust root, and whether (and by whom) their signature was added."""

    address: str
    signed: bool
    added_by: str | None = None
    added_at: dt.datetime | None = None


class PendingView(msgspec.Struct, frozen=True):
    """Everything the console shows of one document; ``ready`` when publishing would be accepted now."""

    id: uuid.UUID
    kind: str
    label: str
    sha256: str
    statement: str
    document: str
    uploaded_by: str
    uploaded_at: dt.datetime
    outcome: str | None
    closed_by: str | None
    closed_at: dt.datetime | None
    root_version: int
    threshold: int
    signed: int
    signers: list[SignerState]
    problems: list[Problem]
    ready: bool
    published_url: str | None
    file_name: str


def describe(document: bytes) -> Parsed:
    """Kind, label and statement of a document (``PolicyError`` when it is neither kind)."""
    if is_release(document):
        release = parse_release(document)
        stem = f"release-{release.destination_chain}-{release.number}"
        return Parsed("release", f"release {release.destination_chain} {release.number}", release_statement(release),
                      release.sha256, f"/releases/{release.destination_chain}/{release.number}.md", f"{stem}.md")
    doc = parse_document(document)
    return Parsed("policy", f"policy {doc.slug} version {doc.version}", statement(doc), doc.sha256,
                  f"/policy/{doc.slug}", f"{doc.slug}-v{doc.version}.md")


def parse_upload(document: bytes, entries: bytes | None) -> Parsed:
    """``describe``, once a release's entries are checked to be the ones it commits to (they are not
    checked again: stored bytes do not change), or a 4xx naming the field that is wrong."""
    if not document:
        raise InvalidInputError("choose the document file to upload", field="document")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise InvalidInputError(f"the document is at most {MAX_DOCUMENT_BYTES} bytes", field="document")
    try:
        parsed = describe(document)
    except PolicyError as exc:
        raise PolicyRejectedError(str(exc), field="document", code=exc.code) from None
    if parsed.kind == "policy" and entries:
        raise InvalidInputError("only a release has an entries file; this document is a policy version",
                                field="entries")
    if parsed.kind == "release":
        if not entries:
            raise InvalidInputError("a release needs its entries file (release-N.entries.json, written beside it by "
                                    "portal release prepare)", field="entries")
        if problems := entry_problems(parse_release(document), entries):
            raise PolicyRejectedError(problems[0].message, field="entries", code=problems[0].code)
    return parsed


async def _root(conn: Connection, anchor: Anchor | None) -> TrustRoot:
    root = await policy_roots.current(conn, anchor)
    if root is None:
        raise PolicyRejectedError("no trust root is configured on this server (PORTAL_POLICY_ROOT)",
                                  code="no_trust_root")
    return root


def _signer(text: str, signature: str, root: TrustRoot) -> str:
    try:
        return root_signer_of(text, signature, root)
    except PolicyMalformedSignatureError as exc:
        raise MalformedSignatureError(f"not recorded: {exc}", field="signature") from None
    except PolicyError as exc:
        raise PolicyRejectedError(str(exc), field="signature", code=exc.code) from None


async def _add(conn: Connection, pending_id: uuid.UUID, label: str, signature: PendingSignature) -> None:
    if not await store.add_signature(conn, pending_id, signature):
        raise ConflictError(f"{signature.signer} has already signed {label}; each signer signs once",
                            field="signature", code="already_signed")


async def upload(conn: Connection, given: Upload, anchor: Anchor | None, now: dt.datetime) -> uuid.UUID:
    """Store the document as pending, with any signatures that came with it (each checked as added)."""
    parsed = parse_upload(given.document, given.entries)
    root = await _root(conn, anchor)
    pending = store.NewPending(id=uuid.uuid4(), kind=parsed.kind, document=given.document,
                               entries_file=given.entries if parsed.kind == "release" else None,
                               sha256=parsed.sha256, label=parsed.label, uploaded_by=given.by.actor,
                               uploaded_at=now)
    await store.insert(conn, pending)
    signers = []
    for signature in given.signatures:
        signer = _signer(parsed.statement, signature.signature, root)
        if signer.lower() != signature.signer.lower():
            raise PolicyRejectedError(f"the signature listed for {signature.signer} was made by {signer}",
                                      field="signatures", code="bad_signature")
        await _add(conn, pending.id, parsed.label, PendingSignature(signer, signature.signature, given.by.actor, now))
        signers.append(signer)
    await record(conn, AuditEntry(
        AuditAction.PENDING_UPLOADED, at=now, actor=given.by.actor, subject=f"pending:{pending.id}",
        data={"label": parsed.label, "sha256": parsed.sha256, "signers": signers, **given.by.audit_data},
        client=given.by.client))
    return pending.id


async def _open(conn: Connection, pending_id: uuid.UUID) -> PendingRow:
    row = await store.lock(conn, pending_id)
    if row is None:
        raise NotFoundError("no such pending document", field="pending_id")
    if row.outcome is not None:
        raise ConflictError(f"{row.label} was {row.outcome} by {row.closed_by}; nothing more can be done with it",
                            code=f"already_{row.outcome}")
    return row


async def sign(conn: Connection, pending_id: uuid.UUID, signature: str, by: Staffer, anchor: Anchor | None,
               now: dt.datetime) -> str:
    """Record one signature over the document's statement; returns the signer it recovers to."""
    row = await _open(conn, pending_id)
    parsed = describe(row.document)
    signer = _signer(parsed.statement, signature, await _root(conn, anchor))
    await _add(conn, pending_id, parsed.label, PendingSignature(signer, signature, by.actor, now))
    await record(conn, AuditEntry(
        AuditAction.PENDING_SIGNED, at=now, actor=by.actor, subject=f"pending:{pending_id}",
        data={"label": parsed.label, "sha256": parsed.sha256, "signer": signer, **by.audit_data}, client=by.client))
    return signer


async def publish(conn: Connection, pending_id: uuid.UUID, by: Staffer, anchor: Anchor | None,
                  target: releases.Target, now: dt.datetime) -> str:
    """Publish with the stored signatures exactly as the JSON API does; returns where it is served."""
    row = await _open(conn, pending_id)
    signatures = [Signature(s.signer, s.signature) for s in await store.signatures(conn, pending_id)]
    if row.kind == "policy":
        await policies.publish(conn, Publication(row.document.decode("utf-8"), signatures, by.actor, by.client),
                               anchor, now)
    else:
        assert row.entries_file is not None  # the table's check: a release has its entries
        submission = releases.ReleaseSubmission(row.document.decode("utf-8"), row.entries_file.decode("utf-8"),
                                                signatures, by.actor, by.client)
        await releases.publish(conn, target, submission, anchor, now)
    await store.close(conn, pending_id, "published", by=by.actor, at=now)
    return describe(row.document).published_path


async def withdraw(conn: Connection, pending_id: uuid.UUID, by: Staffer, now: dt.datetime) -> None:
    row = await _open(conn, pending_id)
    await store.close(conn, pending_id, "withdrawn", by=by.actor, at=now)
    await record(conn, AuditEntry(
        AuditAction.PENDING_WITHDRAWN, at=now, actor=by.actor, subject=f"pending:{pending_id}",
        data={"label": row.label, "sha256": row.sha256, **by.audit_data}, client=by.client))


async def _check(conn: Connection, row: PendingRow, signatures: list[Signature], root: TrustRoot,
                 now: dt.datetime) -> tuple[list[str], list[Problem]]:
    """The valid root signers and every problem publishing would meet now (the library's checks)."""
    if row.kind == "policy":
        doc = parse_document(row.document)
        latest = await policy_store.latest(conn, doc.slug)
        previous = parse_document(latest.document) if latest else None
        if previous is not None and previous.sha256 == doc.sha256:
            return [], [Problem("already_published", "this exact version is already published (another way, "
                                                     "such as portal policy publish)")]
        result = check_policy(doc, signatures, root, previous=previous, now=now)
        return result.signers, result.problems
    release = parse_release(row.document)
    stored = await release_store.latest(conn, release.destination_chain)
    if stored is not None and stored.sha256 == release.sha256:
        return [], [Problem("already_published", "this exact release is already published (another way, such as "
                                                 "portal release publish)")]
    # The entries were checked against the document at upload and are immutable since: not rebuilt per view.
    checked = check_release(release, signatures, root, previous=parse_release(stored.document) if stored else None,
                            entries_bytes=None)
    return checked.signers, checked.problems


async def view(conn: Connection, pending_id: uuid.UUID, anchor: Anchor | None, now: dt.datetime) -> PendingView:
    row = await store.get(conn, pending_id)
    if row is None:
        raise NotFoundError("no such pending document", field="pending_id")
    parsed = describe(row.document)
    stored = await store.signatures(conn, pending_id)
    root = await _root(conn, anchor)
    valid, problems = await _check(conn, row, [Signature(s.signer, s.signature) for s in stored], root, now)
    by_signer = {s.signer.lower(): s for s in stored}
    signers = [SignerState(address, True, found.added_by, found.added_at)
               if (found := by_signer.get(address.lower())) else SignerState(address, False)
               for address in root.signers]
    shown = [p for p in problems if p.code != "below_threshold"]
    return PendingView(
        id=row.id, kind=row.kind, label=row.label, sha256=row.sha256, statement=parsed.statement,
        document=row.document.decode("utf-8"), uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at,
        outcome=row.outcome, closed_by=row.closed_by, closed_at=row.closed_at, root_version=root.version,
        threshold=root.threshold, signed=len(valid), signers=signers,
        problems=shown if row.outcome is None else [], ready=row.outcome is None and not problems,
        published_url=parsed.published_path if row.outcome == "published" else None, file_name=parsed.file_name)


async def files(conn: Connection, pending_id: uuid.UUID) -> dict[str, bytes]:
    """The document, a release's entries and the signatures so far as ``<doc>.sig.json``, by the names
    ``portal policy publish|verify`` and ``portal release publish`` look for side by side, so a document
    signed here can go on by the command line."""
    row = await store.get(conn, pending_id)
    if row is None:
        raise NotFoundError("no such pending document", field="pending_id")
    name = describe(row.document).file_name
    stored = await store.signatures(conn, pending_id)
    found = {name: row.document,
             name + ".sig.json": encode_signature_file([Signature(s.signer, s.signature) for s in stored])}
    if row.entries_file is not None:
        found[entries_path(name)] = row.entries_file
    return found


async def listing(conn: Connection, now: dt.datetime) -> list[PendingListed]:
    """Open documents, newest first, then those closed in the last ``LISTED_CLOSED_DAYS`` days."""
    return await store.listed(conn, closed_since=now - dt.timedelta(days=LISTED_CLOSED_DAYS), limit=LISTED_MAX)
