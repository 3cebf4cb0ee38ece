"""Audit actions, named ``subject:object:action`` (warehouse's convention), and the one recorder.

Every state change calls ``record`` with its own connection, inside its own transaction, so the
event and the change commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from portal.store import audit
from portal.store.database import Connection


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


async def record(conn: Connection, action: AuditAction, *, at: dt.datetime, actor: str, subject: str,
                 data: dict[str, Any] | None = None, client: str | None = None) -> audit.AuditEvent:
    return await audit.append(conn, at=at, actor=actor, action=str(action), subject=subject, data=data,
                              client=client)


AuditEvent = audit.AuditEvent


async def events_after(conn: Connection, after: int, limit: int) -> list[AuditEvent]:
    """Up to ``limit`` events with ``seq > after``, in order (what ``GET /v1/audit`` pages through)."""
    return await audit.events_after(conn, after, limit)
