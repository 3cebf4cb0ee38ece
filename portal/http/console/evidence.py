"""``/staff/requests/{id}``: the evidence, the four-eyes state, and the forms that act on one request."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from portal.domain import leases, queue, review
from portal.domain.staff import StaffPrincipal
from portal.domain.text import MAX_REASON_CHARS
from portal.errors import AmountNotReleasableError, InvalidInputError
from portal.http.clients import client_host
from portal.http.console.pages import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff, RequestId
from portal.http.pages.view_models import FieldError
from portal.runtime import Runtime
from portal.store.audit import AuditEvent
from portal.store.review import RelatedRow

DECISIONS = ("approve", "reject", "needs_info")


class EvidenceView(msgspec.Struct, frozen=True):
    detail: review.RequestDetail
    amount_tokens: str
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


def _four_eyes(detail: review.RequestDetail) -> str:
    if not detail.four_eyes_required:
        return "One approval is enough (below the four-eyes threshold)."
    if detail.status == review.Status.AWAITING_SECOND_APPROVAL:
        return f"First approval by {detail.first_approver}. Missing: a second approval by another approver."
    if detail.status == review.Status.APPROVED:
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


async def evidence_view(runtime: Runtime, principal: StaffPrincipal, request_id: uuid.UUID, *,
                        errors: tuple[FieldError, ...] = (), form: dict[str, str] | None = None) -> EvidenceView:
    now = runtime.clock()
    threshold = runtime.settings.four_eyes_threshold
    async with runtime.db.transaction() as conn:
        detail = await review.request_detail(conn, request_id, snapshots=runtime.snapshots, threshold=threshold)
        refusal = await leases.claim_refusal(conn, principal, request_id, threshold=threshold, at=now) or ""
        related = await queue.related_requests(conn, request_id, destination=detail.destination,
                                               client_address=detail.client_address)
        audit = await queue.audit_trail(conn, request_id)
    left = queue.lease_seconds_left(detail.lease_expires_at, now)
    mine = detail.lease_holder == principal.actor and left > 0
    return EvidenceView(
        detail=detail, amount_tokens=queue.token_units(detail.amount, runtime.settings.token_decimals),
        lease_mine=mine, lease_seconds_left=left,
        lease_expires_at=detail.lease_expires_at.isoformat() if detail.lease_expires_at else "",
        may_claim=not refusal and not mine, claim_refusal=refusal, four_eyes=_four_eyes(detail), related=related,
        audit=audit, evidence_items=_flatten(detail.evidence), errors=errors, form=form or {})


@get("/staff/requests/{request_id:uuid}", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def evidence_page(state: State, console: ConsoleStaff, request_id: RequestId) -> Template:
    view = await evidence_view(state.runtime, console, request_id)
    return await render(state, "request.html", f"Request {request_id}", view, user_of(console))


async def _refused(state: State, console: ConsoleStaff, request_id: uuid.UUID,
                   exc: InvalidInputError | AmountNotReleasableError,
                   form: dict[str, str]) -> Template:
    errors = (FieldError(exc.field or "reason", exc.detail),)
    view = await evidence_view(state.runtime, console, request_id, errors=errors, form=form)
    return await render(state, "request.html", f"Request {request_id}", view, user_of(console), status_code=400)


@post("/staff/requests/{request_id:uuid}/decision", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def decide(state: State, request: Request, console: ConsoleStaff, request_id: RequestId) -> Template | Redirect:
    runtime: Runtime = state.runtime
    form = await request.form()
    kept = {"decision": str(form.get("decision") or "")[:20]}
    try:
        decision = form_text(form, "decision", max_chars=20, required="Choose approve, reject or needs info")
        if decision not in DECISIONS:
            raise InvalidInputError("Choose approve, reject or needs info", field="decision")
        reason = form_text(form, "reason", max_chars=MAX_REASON_CHARS,
                           required="Give a reason (it goes to the audit log)")
        public_note = form_text(form, "public_note", max_chars=MAX_REASON_CHARS)
        async with runtime.db.transaction() as conn:
            await review.decide(conn, console, request_id, decision, reason=reason,  # type: ignore[arg-type]
                                public_note=public_note, at=runtime.clock(),
                                threshold=runtime.settings.four_eyes_threshold, snapshots=runtime.snapshots,
                                client=client_host(request))
    except (InvalidInputError, AmountNotReleasableError) as exc:
        return await _refused(state, console, request_id, exc, kept)
    return Redirect("/staff/queue?notice=decided", status_code=303)


@post("/staff/requests/{request_id:uuid}/release", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def release(state: State, request: Request, console: ConsoleStaff, request_id: RequestId) -> Redirect:
    runtime: Runtime = state.runtime
    async with runtime.db.transaction() as conn:
        await leases.release(conn, console, request_id, at=runtime.clock(), client=client_host(request))
    return Redirect("/staff/queue?notice=released", status_code=303)


@post("/staff/requests/{request_id:uuid}/escalate", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def escalate(state: State, request: Request, console: ConsoleStaff,
                   request_id: RequestId) -> Template | Redirect:
    runtime: Runtime = state.runtime
    form = await request.form()
    try:
        reason = form_text(form, "escalation_reason", max_chars=MAX_REASON_CHARS,
                           required="Say why you escalate (it goes to the audit log)")
        async with runtime.db.transaction() as conn:
            await leases.escalate(conn, console, request_id, reason, at=runtime.clock(), client=client_host(request))
    except InvalidInputError as exc:
        return await _refused(state, console, request_id,
                              InvalidInputError(exc.detail, field="escalation_reason"), {})
    return Redirect("/staff/queue?notice=escalated", status_code=303)


@post("/staff/requests/{request_id:uuid}/reopen", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def reopen(state: State, request: Request, console: ConsoleStaff,
                 request_id: RequestId) -> Template | Redirect:
    runtime: Runtime = state.runtime
    form = await request.form()
    try:
        reason = form_text(form, "reopen_reason", max_chars=MAX_REASON_CHARS, required="Say why you reopen (audit log)")
        async with runtime.db.transaction() as conn:
            await leases.reopen(conn, console, request_id, reason, at=runtime.clock(), client=client_host(request))
    except InvalidInputError as exc:
        return await _refused(state, console, request_id, InvalidInputError(exc.detail, field="reopen_reason"), {})
    return Redirect("/staff/queue?notice=reopened", status_code=303)


ROUTES = [evidence_page, decide, release, escalate, reopen]
