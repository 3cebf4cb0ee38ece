"""The claim window: the signed policy's ``claim_deadline`` and what happens to a request after it.

Why in the signed policy: the real migration this portal serves ran a 90-day window, and a holder who
missed it was told "migration is complete" in a chat. Here the deadline and the rule after it are
signed, shown, and enforced in one place: a new challenge after the deadline is refused with 403
``claim_window_closed`` and the policy's own sentence (``late_requests = "closed"``, the default),
or issued and marked late for staff (``"review"``). Requests filed before the deadline carry on.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from policy.document import PolicyDocument
from portal.domain import policies
from portal.errors import ClaimWindowClosedError
from portal.store import claim_window as store
from portal.store.database import Connection

DEFAULT_NOTICE = ("The claim window closed at {deadline}. The signed official policy takes no new requests after "
                  "it; anyone offering to migrate tokens for you now is not the project.")


class ClaimWindow(msgspec.Struct, frozen=True):
    """The window as holder pages show it: the deadline, whole days left (0 on the last day), the rule."""

    deadline: dt.datetime
    days_left: int
    closed: bool
    late_requests: str
    notice: str


async def current(conn: Connection, now: dt.datetime) -> ClaimWindow | None:
    """The main policy's window, or None when it declares no deadline."""
    doc = await policies.main_document(conn)
    return None if doc is None else of(doc, now)


def of(doc: PolicyDocument, now: dt.datetime) -> ClaimWindow | None:
    """``doc``'s window at ``now``, or None when it declares no deadline."""
    if doc.claim_deadline is None:
        return None
    deadline = doc.claim_deadline
    notice = doc.late_notice or DEFAULT_NOTICE.format(deadline=deadline.strftime("%H:%M UTC on %d %B %Y"))
    return ClaimWindow(deadline, max(0, (deadline - now).days), now >= deadline, doc.late_requests, notice)


async def admit(conn: Connection, challenge_id: uuid.UUID, now: dt.datetime) -> bool:
    """Before a challenge is issued: raise ``ClaimWindowClosedError`` after a closed deadline; after a
    deadline with review, mark the (just inserted) challenge late and say so."""
    window = await current(conn, now)
    if window is None or not window.closed:
        return False
    if window.late_requests != "review":
        raise ClaimWindowClosedError(window.notice)
    await store.mark_late(conn, challenge_id)
    return True


async def is_late(conn: Connection, request_id: uuid.UUID) -> bool:
    return await store.is_late(conn, request_id)


async def late_among(conn: Connection, request_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``request_ids`` were filed after the deadline (``late_requests = "review"``): staff see them
    marked ``late`` in the queue and on the evidence page."""
    return await store.late_among(conn, request_ids) if request_ids else set()
