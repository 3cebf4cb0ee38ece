"""The console's cases: ``/staff/cases`` (queue by kind and status, address search) and
``/staff/cases/{id}`` (proof, evidence, thread, audit trail; claim, reply, decide). The reply box can be
filled with a canned reply (``?canned=<id>``, a plain ``GET`` form) for staff to read before sending.

Signed-in staff only (the console session, CSRF on every form, as the rest of ``/staff``); every
action calls the same domain function as the JSON API (``portal.domain.cases_staff``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import canned_replies, case_evidence, cases, cases_staff
from portal.domain.cases_staff import CaseDecision, CaseDetail, CasePage
from portal.domain.context import UseCaseContext
from portal.domain.review.states import live_lease_of
from portal.domain.staff import StaffPrincipal
from portal.errors import InvalidInputError, PortalError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff
from portal.http.copy.cases import KIND_WORDS
from portal.http.deps import Ctx
from portal.http.pages.view_models import Choice, FieldError
from portal.store.audit import AuditEvent

CaseId = Annotated[uuid.UUID, Parameter(description="the case's id")]
NOTICES = {"claimed": "Claimed: the case is yours for the lease.", "replied": "Reply sent: the holder sees it on "
           "their case page.", "decided": "Decision saved."}


class CaseQueueView(msgspec.Struct, frozen=True):
    page: CasePage
    kinds: list[Choice]
    statuses: list[Choice]
    filters: dict[str, str]
    next_url: str | None
    notice: str = ""
    errors: tuple[FieldError, ...] = ()


class CaseDetailView(msgspec.Struct, frozen=True):
    case: CaseDetail
    kind_words: str
    lease_mine: bool
    outcomes: list[Choice]
    evidence_items: list[tuple[str, str]]
    audit: list[AuditEvent]
    notice: str = ""
    errors: tuple[FieldError, ...] = ()
    form: dict[str, str] = msgspec.field(default_factory=dict)
    canned: list[Choice] = msgspec.field(default_factory=list)  # the canned replies, by title


def _flatten(evidence: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if isinstance(value, dict):
            items += _flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value if isinstance(value, str) else msgspec.json.encode(value).decode()))
    return items


@get("/staff/cases", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def case_queue(state: State, ctx: Ctx, console: ConsoleStaff,
                     kind: Annotated[str, Parameter(max_length=40)] = "",
                     status: Annotated[str, Parameter(max_length=40)] = "",
                     q: Annotated[str, Parameter(max_length=200)] = "",
                     cursor: Annotated[str, Parameter(max_length=200)] = "",
                     notice: Annotated[str, Parameter(max_length=20)] = "") -> Template:
    filters = {"kind": kind, "status": status, "q": q.strip()}
    errors: tuple[FieldError, ...] = ()
    try:
        if kind and kind not in cases.KINDS:
            raise InvalidInputError("choose a kind from the list", field="kind")
        if status and status not in ("open", "awaiting_second_approval", "closed"):
            raise InvalidInputError("choose a status from the list", field="status")
        async with ctx.db.transaction() as conn:
            page = await cases_staff.queue_page(conn, kind=kind or None, status=status or None,
                                                address=cases_staff.search_address(q), limit=50, cursor=cursor or None)
    except InvalidInputError as exc:
        page, errors = CasePage([], None), (FieldError(exc.field if exc.field != "address" else "q", exc.detail),)
    next_url = None
    if page.next_cursor:
        next_url = "/staff/cases?" + urlencode({**{k: v for k, v in filters.items() if v}, "cursor": page.next_cursor})
    view = CaseQueueView(page, [Choice("", "Any kind"), *(Choice(k, KIND_WORDS[k]) for k in cases.KINDS)],
                         [Choice("", "Open (any)"), Choice("open", "Open"),
                          Choice("awaiting_second_approval", "Awaiting second approval"), Choice("closed", "Closed")],
                         filters, next_url, "", errors)
    return await render(state, "cases.html", "Cases", view, user_of(console))


async def _detail_view(ctx: UseCaseContext, principal: StaffPrincipal, case_id: uuid.UUID, *, notice: str = "",
                       errors: tuple[FieldError, ...] = (), form: dict[str, str] | None = None) -> CaseDetailView:
    async with ctx.db.transaction() as conn:
        detail = await cases_staff.case_detail(conn, case_id)
        audit = await cases_staff.audit_trail(conn, case_id)
        canned = [Choice(str(reply.id), reply.title) for reply in await canned_replies.listing(conn, principal)]
    detail = msgspec.structs.replace(detail, chain_evidence=await case_evidence.chain_evidence(ctx, detail))
    mine = live_lease_of(detail.lease_holder, detail.lease_expires_at, ctx.now()) == principal.actor
    outcomes = ([Choice("answered", "Answered")] if detail.kind == "question" else
                [Choice("upheld", "Upheld (give the corrected amount)")]) + [Choice("rejected", "Rejected")]
    return CaseDetailView(detail, KIND_WORDS.get(detail.kind, detail.kind), mine and detail.status != "closed",
                          outcomes, _flatten(detail.evidence), audit, notice, errors, form or {}, canned)


@get("/staff/cases/{case_id:uuid}", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def case_page(state: State, ctx: Ctx, console: ConsoleStaff, case_id: CaseId,
                    notice: Annotated[str, Parameter(max_length=20)] = "",
                    canned: Annotated[uuid.UUID | None, Parameter(description="a canned reply to put in the reply "
                                                                              "box")] = None) -> Template:
    form: dict[str, str] = {}
    if canned is not None:  # a GET form, so picking a reply works with scripts off; staff read it before sending
        async with ctx.db.transaction() as conn:
            form["text"] = await canned_replies.text_for_reply(conn, console, canned)
    view = await _detail_view(ctx, console, case_id, notice=NOTICES.get(notice, ""), form=form)
    return await render(state, "case.html", f"Case {case_id}", view, user_of(console))


async def _refused(state: State, ctx: UseCaseContext, console: StaffPrincipal, case_id: uuid.UUID,
                   exc: PortalError, form: dict[str, str], field: str) -> Template:
    view = await _detail_view(ctx, console, case_id, errors=(FieldError(exc.field or field, exc.detail),), form=form)
    return await render(state, "case.html", f"Case {case_id}", view, user_of(console), status_code=exc.status)


@post("/staff/cases/{case_id:uuid}/claim", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def claim(ctx: Ctx, request: Request, console: ConsoleStaff, case_id: CaseId) -> Redirect:
    async with ctx.db.transaction() as conn:
        await cases_staff.claim(conn, ctx, console, case_id, client=client_host(request))
    return Redirect(f"/staff/cases/{case_id}?notice=claimed", status_code=303)


@post("/staff/cases/{case_id:uuid}/messages", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def reply(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                case_id: CaseId) -> Template | Redirect:
    form = await request.form()
    try:
        text = form_text(form, "text", max_chars=cases.MAX_TEXT_CHARS, required="Write the reply")
        async with ctx.db.transaction() as conn:
            await cases_staff.reply(conn, ctx, console, case_id, text or "", client=client_host(request))
    except (InvalidInputError, PortalError) as exc:
        return await _refused(state, ctx, console, case_id, exc, {"text": str(form.get("text") or "")[:4000]}, "text")
    return Redirect(f"/staff/cases/{case_id}?notice=replied", status_code=303)


@post("/staff/cases/{case_id:uuid}/decision", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def decide(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                 case_id: CaseId) -> Template | Redirect:
    form = await request.form()
    kept = {"outcome": str(form.get("outcome") or "")[:20], "amount": str(form.get("amount") or "")[:80],
            "reason": str(form.get("reason") or "")[:2000]}
    try:
        outcome = form_text(form, "outcome", max_chars=20, required="Choose an outcome")
        if outcome not in ("upheld", "rejected", "answered"):
            raise InvalidInputError("Choose an outcome", field="outcome")
        reason = form_text(form, "reason", required="Give the reason the holder will read")
        amount = form_text(form, "amount", max_chars=80) if outcome == "upheld" else None
        async with ctx.db.transaction() as conn:
            await cases_staff.decide(conn, ctx, console, CaseDecision(case_id, outcome, reason, amount),  # type: ignore[arg-type]
                                     client=client_host(request))
    except PortalError as exc:
        return await _refused(state, ctx, console, case_id, exc, kept, "reason")
    return Redirect(f"/staff/cases/{case_id}?notice=decided", status_code=303)


ROUTES = [case_queue, case_page, claim, reply, decide]
