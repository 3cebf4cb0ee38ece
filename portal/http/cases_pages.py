"""The holder's case pages: ask (``/cases/new``), sign (``/cases/sign``), opened (``/cases/open``), and
the case itself (``/cases/{id}``, behind its status token, as ``/requests/{id}`` is).

Each POST calls the same domain function as the JSON API (``challenges.issue`` with purpose ``case``,
``cases.open_case``, ``cases.holder_view``, ``cases.holder_message``). The status token travels only in
POST bodies (or the URL fragment, which ``status.js`` moves into the form): never a query string.
Every page says that staff reply only here.
"""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Template

from portal.domain import cases, challenges
from portal.domain.cases import CaseOpen, CaseView
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import parse_address
from portal.domain.filing import ProofSubmission, RequestAccess
from portal.errors import InvalidInputError, PortalError
from portal.http.copy import cases as copy
from portal.http.deps import Ctx
from portal.http.holders import meta_of
from portal.http.pages.journey import NO_STORE
from portal.http.pages.layout import render_page
from portal.http.pages.same_origin import refuse_cross_site
from portal.http.pages.view_models import Choice, FieldError

SCRIPTS = ("js/main.js", "js/status.js")
TIME = "%H:%M UTC on %d %B %Y"


class AskForm(msgspec.Struct, frozen=True):
    address: str = ""
    kind: str = ""
    text: str = ""
    evidence: str = ""
    destination: str = ""
    method: str = ""


class SignForm(msgspec.Struct, frozen=True):
    challenge_id: str = ""
    kind: str = ""
    text: str = ""
    evidence: str = ""
    signature: str = ""


class TokenForm(msgspec.Struct, frozen=True):
    status_token: str = ""
    text: str = ""


class AskPage(msgspec.Struct, frozen=True):
    form: AskForm
    kinds: tuple[Choice, ...]
    methods: tuple[Choice, ...]
    notice: str = copy.STAFF_ONLY_HERE
    errors: tuple[FieldError, ...] = ()


class SignPage(msgspec.Struct, frozen=True):
    form: SignForm
    message: str
    address: str
    kind_words: str
    notice: str = copy.STAFF_ONLY_HERE
    errors: tuple[FieldError, ...] = ()


class OpenedPage(msgspec.Struct, frozen=True):
    case_id: str
    status_token: str | None
    kind_words: str
    notice: str = copy.STAFF_ONLY_HERE


class ThreadRow(msgspec.Struct, frozen=True):
    at: str
    author: str
    text: str


class CasePage(msgspec.Struct, frozen=True):
    """The case, or (``status`` empty) the form asking for its status token."""

    case_id: str
    status: str = ""
    status_words: str = ""
    kind_words: str = ""
    address: str = ""
    created_at: str = ""
    thread: tuple[ThreadRow, ...] = ()
    outcome_words: str = ""
    reason: str = ""
    correction: str = ""
    status_token: str = ""
    text: str = ""
    notice: str = copy.STAFF_ONLY_HERE
    errors: tuple[FieldError, ...] = ()


def _evidence(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.replace(",", "\n").splitlines() if line.strip())


def _methods(address: str) -> tuple[Choice, ...]:
    try:
        chain = parse_address(address).chain
    except PortalError:
        return tuple(Choice(value, label) for options in copy.METHOD_CHOICES.values() for value, label in options)
    return tuple(Choice(value, label) for value, label in copy.METHOD_CHOICES[chain])


def _ask(state: State, form: AskForm, errors: tuple[FieldError, ...] = (), status_code: int = 200) -> Template:
    page = AskPage(form, tuple(Choice(*kind) for kind in copy.KIND_CHOICES), _methods(form.address), errors=errors)
    return render_page(state, "cases_new.html", "Ask about an address", page, status_code=status_code,
                       headers=NO_STORE)


def _error(exc: PortalError, default_field: str) -> tuple[FieldError, ...]:
    return (FieldError(exc.field or default_field, copy.case_sentence(exc)),)


@get("/cases/new", operation_id="caseAskPage", include_in_schema=False)
async def ask_page(state: State, address: str = Parameter(default="", max_length=200),
                   kind: str = Parameter(default="", max_length=40)) -> Template:
    return _ask(state, AskForm(address=address.strip(), kind=kind))


async def _check_ask(ctx: UseCaseContext, form: AskForm) -> None:
    if form.kind not in cases.KINDS:
        raise InvalidInputError("choose what your question is about", field="kind")
    cases.clean_message(form.text)
    cases.clean_evidence(_evidence(form.evidence))
    await cases.check_kind(ctx, form.kind, form.address)


@post("/cases/new", operation_id="caseAskSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def ask_submit(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[AskForm]) -> Template:
    form = msgspec.structs.replace(data, address=data.address.strip()[:200], destination=data.destination.strip()[:200])
    try:
        parse_address(form.address, field="address")
        await _check_ask(ctx, form)
        challenge = await challenges.issue(ctx, challenges.NewChallenge(
            form.address, form.destination, form.method or _methods(form.address)[0].value, purpose="case"),
            meta_of(request))
    except PortalError as exc:
        return _ask(state, form, _error(exc, "address"), exc.status)
    sign_form = SignForm(str(challenge.challenge_id), form.kind, form.text, form.evidence)
    page = SignPage(sign_form, challenge.message, form.address, copy.KIND_WORDS[form.kind])
    return render_page(state, "cases_sign.html", "Sign to prove the address is yours", page, headers=NO_STORE,
                       scripts=("js/main.js",))


@post("/cases/open", operation_id="caseOpenSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def open_submit(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[SignForm]) -> Template:
    try:
        challenge_id = uuid.UUID(data.challenge_id.strip())
    except ValueError:
        challenge_id = uuid.UUID(int=0)
    kind = data.kind if data.kind in cases.KINDS else "question"
    ask = CaseOpen(ProofSubmission(challenge_id, signature=data.signature.strip()[:8192]), kind,  # type: ignore[arg-type]
                   data.text, _evidence(data.evidence))
    try:
        opened = await cases.open_case(ctx, ask, meta_of(request))
    except PortalError as exc:
        message, address = await cases.challenge_text(ctx, challenge_id)
        page = SignPage(msgspec.structs.replace(data, signature=""), message, address, copy.KIND_WORDS.get(kind, ""),
                        errors=_error(exc, "signature"))
        return render_page(state, "cases_sign.html", "Sign to prove the address is yours", page, headers=NO_STORE,
                           status_code=exc.status, scripts=("js/main.js",))
    page = OpenedPage(str(opened.case_id), opened.status_token, copy.KIND_WORDS[opened.kind])
    title = "Your case is open" if opened.created else "You already have an open case"
    return render_page(state, "cases_opened.html", title, page, headers=NO_STORE, scripts=("js/main.js",))


def _case_page(view: CaseView, token: str, **extra: object) -> CasePage:
    correction = ""
    if view.correction is not None:
        held = f"release {view.correction.release}" if view.correction.release else "the next release"
        correction = (f"{view.correction.amount} base units to {view.correction.destination} "
                      f"({view.correction.destination_chain}), in {held}")
    return CasePage(str(view.case_id), view.status, copy.STATUS_WORDS.get(view.status, view.status),
                    copy.KIND_WORDS.get(view.kind, view.kind), view.address, view.created_at.strftime(TIME),
                    tuple(ThreadRow(m.at.strftime(TIME), "You" if m.author == "holder" else "Staff", m.text)
                          for m in view.messages),
                    copy.OUTCOME_WORDS.get(view.outcome or "", ""), view.reason or "", correction, token,
                    **extra)  # type: ignore[arg-type]


def _render_case(state: State, page: CasePage, status_code: int = 200) -> Template:
    return render_page(state, "cases_view.html", "Your case" if page.status else "See your case", page,
                       scripts=SCRIPTS, status_code=status_code, headers=NO_STORE)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return uuid.UUID(int=0)  # answered exactly like an unknown id


@get("/cases/{case_id:str}", operation_id="casePage", include_in_schema=False)
async def case_token_form(state: State, case_id: str = Parameter(max_length=64)) -> Template:
    return _render_case(state, CasePage(case_id))


@post("/cases/{case_id:str}", operation_id="casePageSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def case_show(ctx: Ctx, state: State, data: URLEncodedBody[TokenForm],
                    case_id: str = Parameter(max_length=64)) -> Template:
    token = data.status_token.strip()
    try:
        view = await cases.holder_view(ctx, RequestAccess(_uuid(case_id), token or None))
    except PortalError as exc:
        return _render_case(state, CasePage(case_id, errors=_error(exc, "status_token")), exc.status)
    return _render_case(state, _case_page(view, token))


@post("/cases/{case_id:str}/messages", operation_id="caseMessageSubmit", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def case_message(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[TokenForm],
                       case_id: str = Parameter(max_length=64)) -> Template:
    token, access = data.status_token.strip(), RequestAccess(_uuid(case_id), data.status_token.strip() or None)
    try:
        view = await cases.holder_message(ctx, access, data.text, meta_of(request))
    except PortalError as exc:
        try:
            current = await cases.holder_view(ctx, access)
        except PortalError:
            return _render_case(state, CasePage(case_id, errors=_error(exc, "status_token")), exc.status)
        page = _case_page(current, token, text=data.text[:cases.MAX_TEXT_CHARS], errors=_error(exc, "text"))
        return _render_case(state, page, exc.status)
    return _render_case(state, _case_page(view, token))


ROUTES = [ask_page, ask_submit, open_submit, case_token_form, case_show, case_message]
RATE_LIMITED_PATHS = frozenset({"/cases/new", "/cases/open"})
