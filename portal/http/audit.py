"""``GET /v1/audit``: the hash-chained audit log, for admins, in ``seq`` order."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.params import Parameter

from portal.domain import audit
from portal.http.auth import require_role
from portal.http.problems import problem_responses
from portal.services import Services


class AuditPage(msgspec.Struct, frozen=True):
    """``next_after`` is the ``after`` of the next page (None at the end of the log)."""

    events: list[audit.AuditEvent]
    next_after: int | None


@get("/v1/audit", operation_id="listAuditEvents", tags=["staff"], guards=[require_role("admin")],
     summary="Audit events after a sequence number", responses=problem_responses(400, 401, 403))
async def list_audit_events(
    state: State,
    after: Annotated[int, Parameter(ge=0, description="return events with seq greater than this")] = 0,
    limit: Annotated[int, Parameter(ge=1, le=1000, description="page size")] = 100,
) -> AuditPage:
    services: Services = state.services
    async with services.db.transaction() as conn:
        events = await audit.events_after(conn, after, limit)
    return AuditPage(events, events[-1].seq if len(events) == limit else None)
