"""``/staff/requests/{id}``: the evidence, the four-eyes state, and the forms that act on one request."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from portal.domain import amounts, claim_window
from portal.domain.context import UseCaseContext
from portal.domain.review import decisions, evidence, leases, states
from portal.domain.review.evidence import RequestDetail
from portal.domain.staff import StaffPrincipal
from portal.domain.text import MAX_REASON_CHARS
from portal.errors import AmountNotReleasableError, InvalidInputError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff, RequestId
from portal.http.copy import console as words
from portal.http.deps import Ctx
from portal.http.pages.view_models import FieldError
from portal.store.audit import AuditEvent
from portal.store.review import RelatedRow

DECISIONS = ("approve", "reject", "needs_info")


class EvidenceView(msgspec.Struct, frozen=True):
    """The evidence page's model: the template shows what is here and decides nothing (the forms it
    offers are ``actions``, computed by ``review.states``)."""

    detail: RequestDetail
    amount: amounts.DisplayAmount
    actions: states.StaffActions
    snapshot_chain: str
    destination_chain: str
    lease_mine: bool
    lease_seconds_left: int
    lease_expires_at: str
    may_claim: bool
    claim_refusal: str
    four_eyes: str
    related: list[RelatedRow]
    audit: list[AuditEvent]
    evidence_items: list[tuple[str, str]]
    errors: tuple[FieldError, ...] = ()
    form: dict[str, str] = msgspec.field(default_factory=dict)
    late: bool = False  # filed after the signed policy's claim deadline (``late_requests = "review"``)


def _four_eyes(detail: RequestDetail) -> str:
    if not detail.four_eyes_required:
        return "One approval is enough (below the four-eyes threshold)."
    if detail.status == states.Status.AWAITING_SECOND_APPROVAL:
        return (f"First approval by {words.who(detail.first_approver)}. Missing: a second approval by another "
                "approver.")
    if detail.status == states.Status.APPROVED:
        return "Approved by two approvers."
    return "Needs two approvals by two different approvers; none given yet."


def _flatten(evidence: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in evidence.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items += _flatten(value, name + ".")
        else:
            items.append((name, value if isinstance(value, str) else msgspec.json.encode(value).decode()))
    return items


async def evidence_view(ctx: UseCaseContext, principal: StaffPrincipal, request_id: uuid.UUID, *,
                        errors: tuple[FieldError, ...] = (), form: dict[str, str] | None = None) -> EvidenceView:
    now = ctx.now()
    async with ctx.db.transaction() as conn:
        detail = await evidence.request_detail(conn, ctx, request_id)
        refusal = await leases.claim_refusal(conn, ctx, principal, request_id) or ""
        related = await evidence.related_requests(conn, detail)
        audit = await evidence.audit_trail(conn, request_id)
        late = await claim_window.is_late(conn, request_id)
    left = leases.lease_seconds_left(detail.lease_expires_at, now)
    live_holder = states.live_lease_of(detail.lease_holder, detail.lease_expires_at, now)
    actions = states.actions_for(principal, status=detail.status, escalated=detail.escalated_at is not None,
                                 live_holder=live_holder)
    return EvidenceView(
        detail=detail,
        amount=amounts.in_snapshot(ctx.snapshots, detail.snapshot_id, detail.amount,
                                   fallback=ctx.settings.token_decimals),
        actions=actions, snapshot_chain=amounts.chain_label(detail.chain),
        destination_chain=amounts.chain_label(detail.destination_chain),
        lease_mine=actions.may_decide, lease_seconds_left=left,
        lease_expires_at=detail.lease_expires_at.isoformat() if detail.lease_expires_at else "",
        may_claim=not refusal and not actions.may_decide, claim_refusal=words.sentence(refusal),
        four_eyes=_four_eyes(detail),
        related=related, audit=audit, evidence_items=_flatten(detail.evidence), errors=errors, form=form or {},
        late=late)


@get("/staff/requests/{request_id:uuid}", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def evidence_page(state: State, ctx: Ctx, console: ConsoleStaff, request_id: RequestId) -> Template:
    view = await evidence_view(ctx, console, request_id)
    return await render(state, "request.html", f"Request {request_id}", view, user_of(console))


async def _refused(state: State, ctx: UseCaseContext, console: ConsoleStaff, request_id: uuid.UUID,
                   exc: InvalidInputError | AmountNotReleasableError, form: dict[str, str]) -> Template:
    errors = (FieldError(exc.field or "reason", exc.detail),)
    view = await evidence_view(ctx, console, request_id, errors=errors, form=form)
    return await render(state, "request.html", f"Request {request_id}", view, user_of(console), status_code=400)


@post("/staff/requests/{request_id:uuid}/decision", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def decide(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                 request_id: RequestId) -> Template | Redirect:
    form = await request.form()
    kept = {"decision": str(form.get("decision") or "")[:20]}
    try:
        decision = form_text(form, "decision", max_chars=20, required="Choose approve, reject or needs info")
        if decision not in DECISIONS:
            raise InvalidInputError("Choose approve, reject or needs info", field="decision")
        reason = form_text(form, "reason", max_chars=MAX_REASON_CHARS,
                           required="Give a reason (it goes to the audit log)")
        public_note = form_text(form, "public_note", max_chars=MAX_REASON_CHARS)
        command = decisions.DecisionCommand(request_id, decision, reason, public_note)  # type: ignore[arg-type]
        async with ctx.db.transaction() as conn:
            await decisions.decide(conn, ctx, console, command, client=client_host(request))
    except (InvalidInputError, AmountNotReleasableError) as exc:
        return await _refused(state, ctx, console, request_id, exc, kept)
    return Redirect("/staff/queue?notice=decided", status_code=303)


@post("/staff/requests/{request_id:uuid}/release", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def release(ctx: Ctx, request: Request, console: ConsoleStaff, request_id: RequestId) -> Redirect:
    async with ctx.db.transaction() as conn:
        await leases.release(conn, ctx, console, request_id, client=client_host(request))
    return Redirect("/staff/queue?notice=released", status_code=303)


@post("/staff/requests/{request_id:uuid}/escalate", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def escalate(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                   request_id: RequestId) -> Template | Redirect:
    form = await request.form()
    try:
        reason = form_text(form, "escalation_reason", max_chars=MAX_REASON_CHARS,
                           required="Say why you escalate (it goes to the audit log)")
        async with ctx.db.transaction() as conn:
            await decisions.escalate(conn, ctx, console, request_id, reason, client=client_host(request))
    except InvalidInputError as exc:
        return await _refused(state, ctx, console, request_id,
                              InvalidInputError(exc.detail, field="escalation_reason"), {})
    return Redirect("/staff/queue?notice=escalated", status_code=303)


@post("/staff/requests/{request_id:uuid}/reopen", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def reopen(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                 request_id: RequestId) -> Template | Redirect:
    form = await request.form()
    try:
        reason = form_text(form, "reopen_reason", max_chars=MAX_REASON_CHARS, required="Say why you reopen (audit log)")
        async with ctx.db.transaction() as conn:
            await decisions.reopen(conn, ctx, console, request_id, reason, client=client_host(request))
    except InvalidInputError as exc:
        return await _refused(state, ctx, console, request_id,
                              InvalidInputError(exc.detail, field="reopen_reason"), {})
    return Redirect("/staff/queue?notice=reopened", status_code=303)


ROUTES = [evidence_page, decide, release, escalate, reopen]
