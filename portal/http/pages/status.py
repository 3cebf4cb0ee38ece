"""``/requests/{id}``: the holder's own request, behind its status token, and the ``needs_info`` answer.

The token travels only in a POST body (typed in, or moved there by JS from the URL fragment, which
browsers never send): never in a query string, a cookie or a log line. Each POST calls the same
domain function as the JSON API (``filing.holder_view``, ``answers.answer``); an unknown id and
a wrong token give the same sentence, so nobody learns which requests exist.

The page is the holder's hottest (they come back to it until they have claimed), so it is read in one
round trip (``filing.holder_version``: the token checked in constant time, and the request's version)
and its bytes are kept per banner under that version (``RenderedBanner.requests``): a holder coming back
to an unchanged request costs one query and a dictionary lookup. A page that holds the status token
(the ``needs_info`` answer form) is never kept. Every answer is ``no-store``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import unquote_plus

import msgspec
from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter, URLEncodedBody

from portal.domain import amounts, answers, filing
from portal.domain.context import UseCaseContext
from portal.domain.filing import HolderView, RequestAccess
from portal.errors import PortalError
from portal.http.copy import release as release_copy
from portal.http.copy.errors import sentence
from portal.http.copy.status import NEXT_STEPS, STATUS_WORDS
from portal.http.deps import Ctx
from portal.http.fast.html_page import NO_STORE, HtmlPage
from portal.http.holders import meta_of
from portal.http.pages.layout import current_banner
from portal.http.pages.same_origin import refuse_cross_site
from portal.http.pages.view_models import AnswerRow, ClaimView, FieldError, StatusPage

STATUS_SCRIPTS = ("js/main.js", "js/status.js")
_TIME = "%H:%M UTC on %d %B %Y"


class TokenForm(msgspec.Struct, frozen=True):
    status_token: str = ""
    request_id: str = ""


class AnswerForm(msgspec.Struct, frozen=True):
    status_token: str = ""
    text: str = ""


def _status_token(body: bytes) -> str:
    """The form's ``status_token`` (the first, as ``parse_qsl`` would give it), or ""."""
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"status_token":
            return unquote_plus(value.decode("utf-8", "replace"))
    return ""


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return uuid.UUID(int=0)  # answered exactly like an unknown id


def _view(ctx: UseCaseContext, view: HolderView, token: str, **extra: object) -> StatusPage:
    hours = view.expected_review_hours
    shown = amounts.in_snapshot(ctx.snapshots, view.snapshot_id, view.amount, fallback=ctx.settings.token_decimals)
    review_by = view.updated_at + dt.timedelta(hours=hours)
    return StatusPage(
        request_id=str(view.request_id), status=view.status, status_words=STATUS_WORDS.get(view.status, view.status),
        destination=view.destination, amount=view.amount, amount_tokens=shown.tokens,
        created_at=view.created_at.strftime(_TIME),
        review_by=review_by.strftime(_TIME), public_note=view.public_note,
        answers=tuple(AnswerRow(a.at.strftime(_TIME), a.text) for a in view.answers),
        can_answer=view.status == "needs_info", status_token=token, **_next_step(view), **extra)  # type: ignore[arg-type]


def _next_step(view: HolderView) -> dict[str, object]:
    """What the holder does next once approved: wait for a release, or claim from the one holding it."""
    if view.release is not None:
        held = view.release
        words = release_copy.claimed_sentence(held) if held.claimed_at else release_copy.claim_sentence(held)
        return {"next_step": words,
                "claim": ClaimView(words, json.dumps(held.proof, indent=1),
                                   release_copy.claim_command(held, view.destination), held.merkle_root,
                                   claimed=held.claimed_at is not None, freshness=release_copy.freshness(held))}
    if view.status == "approved":
        return {"next_step": release_copy.WAITING}
    return {"next_step": NEXT_STEPS[view.status]} if view.status in NEXT_STEPS else {}


def _title(view: StatusPage) -> str:
    return "Your request" if view.status else "See your request"


def _render(state: State, view: StatusPage, status_code: int = 200) -> HtmlPage:
    body = current_banner(state).render("status.html", _title(view), view, STATUS_SCRIPTS)
    return HtmlPage(body, status_code, NO_STORE)


async def _lookup(ctx: UseCaseContext, state: State, request_id: str, token: str, *, ask_reference: bool
                  ) -> HtmlPage:
    token = token.strip()
    try:
        version = await filing.holder_version(ctx, RequestAccess(_uuid(request_id), token or None))
    except PortalError as exc:
        field = "request_id" if ask_reference else "status_token"
        return _render(state, StatusPage(request_id, ask_reference=ask_reference,
                                         errors=(FieldError(field, sentence(exc)),)), exc.status)
    kept = current_banner(state).requests
    body = kept.get(version)
    if body is None:
        view = _view(ctx, await filing.view_of_version(ctx, version), token)
        body = current_banner(state).render("status.html", _title(view), view, STATUS_SCRIPTS)
        if not view.can_answer:  # the answer form carries the token: such a page is never kept
            kept.put(version, body)
    return HtmlPage(body, 200, NO_STORE)


@get("/requests", operation_id="requestLookupPage", include_in_schema=False)
async def lookup_form(state: State) -> HtmlPage:
    return _render(state, StatusPage("", ask_reference=True))


@post("/requests", operation_id="requestLookupSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site, media_type=MediaType.HTML)
async def lookup(ctx: Ctx, state: State, data: URLEncodedBody[TokenForm]) -> HtmlPage:
    return await _lookup(ctx, state, data.request_id, data.status_token, ask_reference=True)


@get("/requests/{request_id:str}", operation_id="requestPage", include_in_schema=False)
async def token_form(state: State, request_id: str = Parameter(max_length=64)) -> HtmlPage:
    return _render(state, StatusPage(request_id))


@post("/requests/{request_id:str}", operation_id="requestPageSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site, media_type=MediaType.HTML)
async def show(request: Request, request_id: str = Parameter(max_length=64)) -> HtmlPage:
    # The hot page: no dependency injection and no form model (the token is the one field read; the
    # context is the object ``ctx`` would inject).
    token = _status_token(await request.body())
    state = request.app.state
    return await _lookup(state.runtime.ctx, state, request_id, token, ask_reference=False)


@post("/requests/{request_id:str}/answer", operation_id="requestAnswerSubmit", include_in_schema=False,
      status_code=200, before_request=refuse_cross_site, media_type=MediaType.HTML)
async def answer(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[AnswerForm],
                 request_id: str = Parameter(max_length=64)) -> HtmlPage:
    token = data.status_token.strip()
    try:
        view = await answers.answer(ctx, RequestAccess(_uuid(request_id), token or None),
                                    answers.AnswerSubmission(data.text), meta_of(request))
    except PortalError as exc:
        if exc.field != "text":
            return await _lookup_with_error(ctx, state, request_id, token, exc)
        current = await filing.holder_view(ctx, RequestAccess(_uuid(request_id), token))
        return _render(state, _view(ctx, current, token, answer_text=data.text,
                                    errors=(FieldError("text", sentence_for_text(exc)),)), exc.status)
    return _render(state, _view(ctx, view, token, answered=True))


def sentence_for_text(exc: PortalError) -> str:
    return f"Write your answer: {exc.detail}." if "empty" not in exc.detail else "Write your answer before sending it."


async def _lookup_with_error(ctx: UseCaseContext, state: State, request_id: str, token: str, exc: PortalError
                             ) -> HtmlPage:
    try:
        current = await filing.holder_view(ctx, RequestAccess(_uuid(request_id), token or None))
    except PortalError:
        return _render(state, StatusPage(request_id, errors=(FieldError("status_token", sentence(exc)),)),
                       exc.status)
    return _render(state, _view(ctx, current, token, errors=(FieldError("text", sentence(exc)),)), exc.status)


ROUTES = [lookup_form, lookup, token_form, show, answer]
