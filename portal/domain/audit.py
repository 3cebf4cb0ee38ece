"""Audit actions, named ``subject:object:action`` (warehouse's convention), and the one recorder.

Every state change calls ``record`` with its own connection, inside its own transaction, so the
event and the change commit or roll back together. Its hash is keyed by the deployment's audit key
(``portal.domain.audit_keys``). The key belongs to the deployment, not to one request: whoever opens
the database opens it with the key (``Database.open(..., audit_chain_key=key_for(settings).chain_key)``:
the app's lifespan, each CLI command, a test helper), and every connection of that handle signs with
it. No process-wide key, and nothing here reads the environment; a handle opened without a key
cannot write an event (it says so) rather than sign with a guessed one.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from typing import Any

import msgspec

from portal.domain.audit_keys import AuditKey, ensure_key_file
from portal.settings import Settings
from portal.store import audit
from portal.store.database import Connection

logger = logging.getLogger("portal.audit")


class AuditAction(StrEnum):
    PROOF_ACCEPTED = "request:proof:accepted"
    ANSWER_SUBMITTED = "request:answer:submitted"
    REVIEW_CLAIMED = "review:request:claimed"
    DECISION_APPROVED = "review:decision:approved"
    DECISION_FIRST_APPROVAL = "review:decision:first_approval"
    DECISION_REJECTED = "review:decision:rejected"
    DECISION_NEEDS_INFO = "review:decision:needs_info"
    STAFF_KEY_CREATED = "staff:key:created"
    STAFF_KEY_REVOKED = "staff:key:revoked"
    STAFF_KEY_ROLE_CHANGED = "staff:key:role_changed"
    SESSION_STARTED = "staff:session:started"
    SESSION_ENDED = "staff:session:ended"
    REVIEW_RELEASED = "review:request:released"
    REVIEW_ESCALATED = "review:request:escalated"
    REVIEW_REOPENED = "review:request:reopened"
    POLICY_PUBLISHED = "policy:version:published"
    POLICY_ROOT_PUBLISHED = "policy:root:published"
    RELEASE_PUBLISHED = "release:published"
    LOOKALIKE_CONFIRMED = "links:lookalike:confirmed"
    LOOKALIKE_DISMISSED = "links:lookalike:dismissed"
    PENDING_UPLOADED = "pending:document:uploaded"
    PENDING_SIGNED = "pending:document:signed"
    PENDING_WITHDRAWN = "pending:document:withdrawn"
    # issue 23: cases
    CASE_OPENED = "case:proof:accepted"
    CASE_HOLDER_MESSAGE = "case:message:holder"
    CASE_CLAIMED = "review:case:claimed"
    CASE_STAFF_MESSAGE = "review:case:message"
    CASE_FIRST_UPHELD = "review:case:first_upheld"
    CASE_DECIDED = "review:case:decided"
    CANNED_REPLY_CREATED = "staff:canned_reply:created"
    CANNED_REPLY_UPDATED = "staff:canned_reply:updated"
    CANNED_REPLY_DELETED = "staff:canned_reply:deleted"


def key_for(settings: Settings) -> AuditKey:
    """The audit key ``settings`` name, generated (and logged, never its value) when there is none."""
    key, generated = ensure_key_file(settings.audit_key_path, now=dt.datetime.now(dt.UTC))
    if generated:
        logger.warning("generated a new audit key at %s (public key %s); set PORTAL_AUDIT_KEY_FILE and keep a "
                       "copy off this host", settings.audit_key_path, key.public_key)
    return key




class AuditEntry(msgspec.Struct, frozen=True):
    """One event to record: what happened (``action``), when, who did it, to what, and how."""

    action: AuditAction
    at: dt.datetime
    actor: str
    subject: str
    data: dict[str, Any] | None = None
    client: str | None = None


async def record(conn: Connection, entry: AuditEntry) -> audit.AuditEvent:
    return await audit.append(conn, key=audit.chain_key_of(conn), at=entry.at, actor=entry.actor,
                              action=str(entry.action), subject=entry.subject, data=entry.data, client=entry.client)


AuditEvent = audit.AuditEvent


async def events_after(conn: Connection, after: int, limit: int) -> list[AuditEvent]:
    """Up to ``limit`` events with ``seq > after``, in order (what ``GET /v1/audit`` pages through)."""
    return await audit.events_after(conn, after, limit)
