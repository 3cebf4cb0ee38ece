"""``/staff/queue``: the filtered, searchable queue, and the claim buttons (next, or a chosen one)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import amounts, claim_window
from portal.domain.context import UseCaseContext
from portal.domain.review import leases, queue, states
from portal.domain.review.states import Status
from portal.domain.staff import StaffPrincipal
from portal.errors import ConflictError, InvalidInputError, PermissionDeniedError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff, RequestId
from portal.http.copy import console as words
from portal.http.deps import Ctx
from portal.http.pages.view_models import Choice, FieldError
from portal.store.review import LockedRequest

PAGE_SIZE = 50
NOTICES = {
    "empty": "Nothing in the queue for you right now.",
    "decided": "Decision saved.",
    "released": "Lease released: the request is back in the queue.",
    "escalated": "Escalated: the request is now offered to approvers only.",
    "reopened": "Reopened: the request is back in the queue.",
}
Short = Annotated[str | None, Parameter(max_length=queue.MAX_SEARCH_CHARS)]


class QueueRowView(msgspec.Struct, frozen=True):
    request_id: str
    status: str
    snapshot_address: str
    destination: str
    amount: str
    amount_unit: str
    method: str
    chain: str
    age: str
    lease: str
    escalated: bool
    claimable: bool  # the server's own rule (``states.may_claim``): no Claim button the server would refuse
    late: bool = False  # filed after the claim deadline (``portal.domain.claim_window``)


class QueueView(msgspec.Struct, frozen=True):
    rows: list[QueueRowView]
    next_url: str | None
    filters: dict[str, str]
    statuses: list[Choice]
    methods: list[Choice]
    chains: list[Choice]
    risks: list[Choice]
    notice: str
    errors: tuple[FieldError, ...] = ()


def _age(created_at: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - created_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} d"


def _lease(item: queue.QueueItem, principal: StaffPrincipal, now: dt.datetime) -> str:
    left = leases.lease_seconds_left(item.lease_expires_at, now)
    if item.lease_holder is None or left == 0:
        return ""
    holder = "You" if item.lease_holder == principal.actor else words.who(item.lease_holder)
    return f"{holder} ({left // 60} min {left % 60} s left)"


def _claimable(ctx: UseCaseContext, item: queue.QueueItem, principal: StaffPrincipal, now: dt.datetime) -> bool:
    """Whether a Claim of this row would succeed now, by the rule the claim itself enforces; a row this
    member already holds is opened, not claimed again."""
    if states.live_lease_of(item.lease_holder, item.lease_expires_at, now) == principal.actor:
        return False
    row = LockedRequest(item.request_id, item.status, int(item.amount), item.lease_holder, item.lease_expires_at,
                        item.first_approver, item.escalated_at)
    try:
        states.may_claim(row, principal, threshold=ctx.settings.four_eyes_threshold, at=now)
    except (ConflictError, PermissionDeniedError):
        return False
    return True


def _amount(ctx: UseCaseContext, item: queue.QueueItem) -> tuple[str, str]:
    """The amount and its unit: in tokens by the one rule holders see too (``amounts``), else in base units."""
    shown = amounts.in_snapshot(ctx.snapshots, item.snapshot_id, item.amount, fallback=ctx.settings.token_decimals)
    return (shown.tokens, "tokens") if shown.tokens is not None else (shown.base_units, "base units")


def _choices(values: tuple[str, ...] | list[str], labels: dict[str, str] | None = None) -> list[Choice]:
    return [Choice("", "Any"), *(Choice(v, (labels or {}).get(v, v.replace("_", " "))) for v in values)]


@get("/staff/queue", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def queue_page(state: State, ctx: Ctx, console: ConsoleStaff, status: Short = None,
                     method: Short = None, chain: Short = None, risk: Short = None, older_than_hours: Short = None,
                     q: Short = None, cursor: Short = None, notice: Short = None) -> Template:
    now = ctx.now()
    filters = {k: v for k, v in {"status": status, "method": method, "chain": chain, "risk": risk,
                                 "older_than_hours": older_than_hours, "q": q}.items() if v}
    errors: tuple[FieldError, ...] = ()
    page = queue.QueuePage([], None)
    late: set = set()
    try:
        if status and status not in Status.__members__.values():
            raise InvalidInputError("choose a status from the list", field="status")
        if risk and risk not in queue.RISK_FILTERS:
            raise InvalidInputError("choose a risk flag from the list", field="risk")
        if older_than_hours and not older_than_hours.isdigit():
            raise InvalidInputError("age is a whole number of hours", field="older_than_hours")
        query = queue.QueueQuery(status=Status(status) if status else None, method=method or None,
                                 chain=chain or None, risk=risk or None,  # type: ignore[arg-type]
                                 older_than_hours=int(older_than_hours) if older_than_hours else None, search=q)
        async with ctx.db.transaction() as conn:
            page = await queue.queue_page(conn, ctx, query, limit=PAGE_SIZE, cursor=cursor)
            late = await claim_window.late_among(conn, [i.request_id for i in page.items])
    except InvalidInputError as exc:
        errors = (FieldError(exc.field or "q", exc.detail),)
    rows = [QueueRowView(str(i.request_id), words.status_words(i.status), i.snapshot_address, i.destination,
                         *_amount(ctx, i), i.method, i.chain, _age(i.created_at, now), _lease(i, console, now),
                         i.escalated_at is not None, _claimable(ctx, i, console, now),
                         i.request_id in late) for i in page.items]
    next_url = None
    if page.next_cursor:
        next_url = "/staff/queue?" + urlencode({**filters, "cursor": page.next_cursor})
    view = QueueView(rows, next_url, filters, _choices([str(s) for s in Status], words.STATUS_WORDS),
                     _choices(queue.METHODS), _choices(queue.CHAINS),
                     _choices(list(queue.RISK_FILTERS), words.RISK_WORDS), NOTICES.get(notice or "", ""), errors)
    return await render(state, "queue.html", "Review queue", view, user_of(console),
                        status_code=400 if errors else 200)


@post("/staff/claim-next", include_in_schema=False, dependencies=CONSOLE, exception_handlers=EXCEPTION_HANDLERS)
async def claim_next(ctx: Ctx, request: Request, console: ConsoleStaff) -> Redirect:
    async with ctx.db.transaction() as conn:
        detail = await leases.claim_next(conn, ctx, console, client=client_host(request))
    if detail is None:
        return Redirect("/staff/queue?notice=empty", status_code=303)
    return Redirect(f"/staff/requests/{detail.request_id}", status_code=303)


@post("/staff/requests/{request_id:uuid}/claim", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def claim_chosen(ctx: Ctx, request: Request, console: ConsoleStaff, request_id: RequestId) -> Redirect:
    async with ctx.db.transaction() as conn:
        await leases.claim(conn, ctx, console, request_id, client=client_host(request))
    return Redirect(f"/staff/requests/{request_id}", status_code=303)


ROUTES = [queue_page, claim_next, claim_chosen]
