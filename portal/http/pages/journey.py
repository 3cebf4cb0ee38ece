"""The guided "my wallet can't connect" pages: one question per page, then the challenge to sign.

What comes next is the domain's rule (``portal.domain.journey.next_question``); these handlers turn
its step into a page. ``GET /prove`` asks the next question (or the one named by ``change``), says
plainly when tokens on an exchange cannot be proven here, then shows "check your answers" with the
method in plain words. Answers travel in the query string and hidden fields: they are public
addresses and choices, never secrets. The destination never travels in a query string (a link
could then choose it for the holder): it is typed into a form POSTed to ``/prove``, and every
holder POST that another site sent is refused (``same_origin``). ``POST /prove/challenge`` issues the challenge through
``challenges.issue`` (the function behind ``POST /v1/challenges``) and shows it exactly as it will
be signed; ``POST /prove/submit`` files the proof through ``filing.submit`` and shows the status
token once.
"""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Template

from portal.domain import challenges, filing, journey
from portal.domain.context import UseCaseContext
from portal.domain.journey import JourneyAnswers
from portal.errors import PortalError
from portal.http.copy import journey as copy
from portal.http.copy.errors import sentence
from portal.http.deps import Ctx
from portal.http.holders import meta_of
from portal.http.pages.claim_window_page import window_closed_page
from portal.http.pages.journey_views import (
    QUESTION_SCRIPTS,
    SIGN_SCRIPTS,
    answers_hidden,
    answers_url,
    check_page,
    proof_kind_of,
    question_page,
    sign_page,
)
from portal.http.pages.layout import render_page
from portal.http.pages.safe import render_progress
from portal.http.pages.same_origin import refuse_cross_site
from portal.http.pages.view_models import ConfirmationPage, FieldError, RetryPage, StopPage

NO_STORE = {"Cache-Control": "no-store"}


class ProveForm(msgspec.Struct, frozen=True):
    """The answers, posted back to issue the challenge (and again to ask for a fresh one)."""

    address: str = ""
    chain: str = ""
    wallet: str = ""
    destination: str = ""


class AnswerForm(msgspec.Struct, frozen=True):
    """The destination question's form: the answers so far, and the destination the holder typed."""

    address: str = ""
    chain: str = ""
    wallet: str = ""
    destination: str = ""


class SubmitForm(msgspec.Struct, frozen=True):
    """``proof`` is what the wallet or tool gave; ``proof_kind`` says which field it is when JS knows."""

    challenge_id: str
    proof: str = ""
    proof_kind: str = ""
    method: str = ""
    address: str = ""
    chain: str = ""
    wallet: str = ""
    destination: str = ""


def _next_step(ctx: UseCaseContext, answers: JourneyAnswers, **how: object) -> journey.Step:
    in_snapshot = lambda holder: ctx.snapshots.find(holder) is not None  # noqa: E731
    return journey.next_question(answers, ctx.settings.destination_chains, in_snapshot, **how)  # type: ignore[arg-type]


def _question(state: State, ctx: UseCaseContext, answers: JourneyAnswers, step: journey.Question,
              status_code: int | None = None) -> Template:
    question = question_page(ctx.settings, answers, step)
    code = status_code or (400 if question.errors else 200)
    return render_page(state, "question.html", question.question, question, status_code=code,
                       scripts=QUESTION_SCRIPTS)


def _stop(state: State, answers: JourneyAnswers) -> Template:
    stop = StopPage(copy.EXCHANGE_HEADING, copy.EXCHANGE_TEXT, answers_url(answers, change="wallet"))
    return render_page(state, "stop.html", stop.heading, stop)


@get("/prove", operation_id="proveQuestionPage", include_in_schema=False)
async def prove(ctx: Ctx, state: State, request: Request,
                address: str = Parameter(default="", max_length=200),
                chain: str = Parameter(default="", max_length=20), wallet: str = Parameter(default="", max_length=20),
                change: str = Parameter(default="", max_length=20),
                asked: str = Parameter(default="", max_length=20)) -> Template:
    """Every question but the destination's answer comes from the query; a ``destination`` there is
    ignored, so a link can never fill it in: the destination question is always asked, empty."""
    if (closed := window_closed_page(state)) is not None:
        return closed
    answers = JourneyAnswers(address.strip(), chain.strip(), wallet.strip(), "")
    answers = answers.with_default_chain(ctx.settings.destination_chains)
    # A question counts as answered (so its problem is told) when its field or its form was sent.
    sent = (set(request.query_params) | {asked}) - {"destination"}
    step = _next_step(ctx, answers, sent=sent, change=change)
    if isinstance(step, journey.Question):
        return _question(state, ctx, answers, step)
    return _stop(state, answers)  # an exchange; with no destination, never Ready


@post("/prove", operation_id="proveAnswerPage", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def prove_answer(ctx: Ctx, state: State, data: URLEncodedBody[AnswerForm]) -> Template:
    """The destination the holder typed (in the body, from this site's own form): ask again, or check."""
    if (closed := window_closed_page(state)) is not None:
        return closed
    answers = JourneyAnswers(data.address.strip(), data.chain.strip(), data.wallet.strip(), data.destination.strip())
    answers = answers.with_default_chain(ctx.settings.destination_chains)
    step = _next_step(ctx, answers)
    if isinstance(step, journey.Question):
        return _question(state, ctx, answers, step)
    if isinstance(step, journey.Stop):
        return _stop(state, answers)
    try:
        await challenges.check_destination(ctx, answers.destination, answers.chain)  # type: ignore[arg-type]
    except PortalError as exc:
        return _question(state, ctx, answers, journey.Question("destination", "invalid", exc), exc.status)
    return render_page(state, "check.html", "Check your answers", check_page(ctx.settings, answers, step.choice))


@post("/prove/challenge", operation_id="proveChallengePage", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def prove_challenge(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[ProveForm]
                          ) -> Template:
    if (closed := window_closed_page(state)) is not None:
        return closed
    answers = JourneyAnswers(data.address.strip(), data.chain.strip(), data.wallet.strip(), data.destination.strip())
    step = _next_step(ctx, answers)
    if isinstance(step, journey.Question):
        return _question(state, ctx, answers, step, 400)
    if isinstance(step, journey.Stop):
        return _stop(state, answers)
    choice = step.choice
    try:
        challenge = await challenges.issue(ctx, challenges.NewChallenge(
            answers.address, answers.destination, choice.method, answers.chain,  # type: ignore[arg-type]
            choice.message_style), meta_of(request))
    except PortalError as exc:
        field = exc.field if exc.field in ("address", "destination") else None
        if field:
            asked_again = journey.Question(field, "invalid", exc)  # type: ignore[arg-type]
            return _question(state, ctx, answers, asked_again, exc.status)
        check = msgspec.structs.replace(check_page(ctx.settings, answers, choice),
                                        errors=(FieldError("get-message", sentence(exc)),))
        return render_page(state, "check.html", "Check your answers", check, status_code=exc.status)
    if challenge.method == "safe":  # issue 26: the owners sign one at a time on the Safe's own page
        return await render_progress(ctx, state, challenge.challenge_id)
    sign = sign_page(ctx.settings, answers, challenge, choice)
    return render_page(state, "sign.html", sign.heading, sign, scripts=SIGN_SCRIPTS)


def _proof_submission(form: SubmitForm, challenge_id: uuid.UUID) -> filing.ProofSubmission:
    text = form.proof.strip()
    kind = form.proof_kind
    if kind not in ("signature", "signed_transaction", "tx_hash"):
        kind = proof_kind_of(form.method, text)
    return filing.ProofSubmission(challenge_id, **{kind: text})


def _retry(state: State, answers: JourneyAnswers, method: str, message: str, status_code: int) -> Template:
    retry = RetryPage(message, answers_hidden(answers), errors=(FieldError("get-message", message),),
                      get_button=copy.get_button(method, again=True))
    return render_page(state, "retry.html", "Your proof was not accepted", retry, status_code=status_code)


@post("/prove/submit", operation_id="proveSubmitPage", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def prove_submit(ctx: Ctx, state: State, request: Request, data: URLEncodedBody[SubmitForm]
                       ) -> Template:
    answers = JourneyAnswers(data.address, data.chain, data.wallet, data.destination)
    try:
        challenge_id = uuid.UUID(data.challenge_id)
    except ValueError:
        return _retry(state, answers, data.method, copy.BAD_CHALLENGE, 400)
    if not data.proof.strip():
        return _retry(state, answers, data.method, copy.EMPTY_PROOF, 400)
    try:
        outcome = await filing.submit(ctx, _proof_submission(data, challenge_id), meta_of(request))
    except PortalError as exc:
        return _retry(state, answers, data.method, sentence(exc), exc.status)
    confirmation = ConfirmationPage(
        request_id=str(outcome.request_id), status_token=outcome.status_token,
        status_url=f"/requests/{outcome.request_id}",
        bookmark_url=f"/requests/{outcome.request_id}#token={outcome.status_token}" if outcome.status_token else None,
        expected_review_hours=outcome.expected_review_hours,
        token_file=copy.token_file(str(outcome.request_id), outcome.status_token, ctx.settings.public_url))
    title = "Your request has been sent" if outcome.created else "You already have a request"
    # main.js adds Copy and Download under the token: it is shown once, so it must be easy to keep.
    return render_page(state, "confirmation.html", title, confirmation, headers=NO_STORE, scripts=QUESTION_SCRIPTS)


ROUTES = [prove, prove_answer, prove_challenge, prove_submit]
RATE_LIMITED_PATHS = frozenset({"/prove/challenge", "/prove/submit"})
