"""The guided "my wallet can't connect" flow: one question per page, then the challenge to sign.

``GET /prove`` asks the first unanswered question (snapshot address, destination chain, wallet kind,
destination address), or the one named by ``change``, then shows "check your answers" with the
method in plain words. Answers travel in the query string and hidden fields: they are public
addresses and choices, never secrets. ``POST /prove/challenge`` issues the challenge through
``challenges.issue`` (the function behind ``POST /v1/challenges``) and shows it exactly as it will
be signed; ``POST /prove/submit`` files the proof through ``filing.submit`` and shows the status
token once.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Template

from portal.domain import challenges, filing, journey
from portal.domain.eligibility import parse_address
from portal.domain.proofs import registry
from portal.errors import PortalError
from portal.http.holders import meta_of
from portal.http.pages import words
from portal.http.pages.layout import page
from portal.http.pages.sentences import sentence
from portal.http.pages.views import (
    Answers,
    CheckPage,
    Choice,
    ConfirmationPage,
    FieldError,
    QuestionPage,
    RetryPage,
    SignPage,
    StopPage,
    Summary,
)
from portal.runtime import Runtime

QUESTIONS = ("address", "chain", "wallet", "destination")
NO_STORE = {"Cache-Control": "no-store"}


class ProveForm(msgspec.Struct, frozen=True):
    """The answers, posted back to issue the challenge (and again to ask for a fresh one)."""

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


def _url(answers: Answers, **extra: str) -> str:
    fields = dict(answers.hidden()) | {k: v for k, v in extra.items() if v}
    return "/prove?" + urlencode(fields)


def _check(runtime: Runtime, answers: Answers, name: str) -> str | None:
    """The error sentence for answer ``name``, or None when it is acceptable."""
    value = getattr(answers, name)
    if name == "address":
        if not value:
            return "Enter the address that held the old token."
        try:
            holder = parse_address(value, field="address")
        except PortalError as exc:
            return sentence(exc)
        return None if runtime.snapshots.find(holder) else words.NOT_IN_SNAPSHOT
    if name == "chain":
        chosen = value in runtime.settings.destination_chains
        return None if chosen else "Select where you want to receive the new token."
    if name == "wallet":
        holder_chain = parse_address(answers.address).chain
        return None if value in journey.wallet_kinds(holder_chain) else "Select the kind of wallet that holds it."
    if not value:
        return "Enter the address that should receive the new token."
    try:
        target = parse_address(value, field="destination")
    except PortalError as exc:
        return sentence(exc)
    if target.chain != answers.chain:
        return words.wrong_destination_chain(answers.chain)
    return None


def _question(runtime: Runtime, answers: Answers, name: str, error: str | None) -> QuestionPage:
    position = QUESTIONS.index(name)
    asked = [q for q in QUESTIONS[:position] if q != "chain" or len(runtime.settings.destination_chains) > 1]
    previous = asked[-1] if asked else None
    back = _url(answers, change=previous) if previous else "/"
    errors = (FieldError(name, error),) if error else ()
    hidden = answers.hidden(without=name)
    value = getattr(answers, name)
    if name == "address":
        return QuestionPage(name, "Which address held the old token?", words.ADDRESS_HINT, "text", value, (), hidden,
                            back, errors)
    if name == "chain":
        options = tuple(Choice(chain, *words.CHAINS[chain]) for chain in runtime.settings.destination_chains)
        return QuestionPage(name, "Where do you want to receive the new token?", words.CHAIN_HINT, "radios", value,
                            options, hidden, back, errors)
    if name == "wallet":
        holder_chain = parse_address(answers.address).chain
        options = tuple(Choice(kind, *words.WALLETS[kind]) for kind in journey.wallet_kinds(holder_chain))
        return QuestionPage(name, "What kind of wallet holds the snapshot address?", words.wallet_hint(holder_chain),
                            "radios", value, options, hidden, back, errors)
    return QuestionPage(name, "Which address should receive the new token?", words.destination_hint(answers.chain),
                        "text", value, (), hidden, back, errors)


def _check_page(answers: Answers) -> CheckPage:
    holder_chain = parse_address(answers.address).chain
    choice = journey.method_for(holder_chain, answers.wallet)  # type: ignore[arg-type]
    assert choice is not None
    summary = (
        Summary("Snapshot address", answers.address, _url(answers, change="address")),
        Summary("Receive the new token on", words.CHAINS[answers.chain][0], _url(answers, change="chain")),
        Summary("Wallet", words.WALLETS[answers.wallet][0], _url(answers, change="wallet")),
        Summary("Destination address", answers.destination, _url(answers, change="destination")),
    )
    return CheckPage(summary, words.METHOD_NAMES[choice.method], words.method_words(choice), answers.hidden(),
                     _url(answers, change="destination"))


@get("/prove", operation_id="proveQuestionPage", include_in_schema=False)
async def prove(state: State, request: Request, address: str = Parameter(default="", max_length=200),
                chain: str = Parameter(default="", max_length=20), wallet: str = Parameter(default="", max_length=20),
                destination: str = Parameter(default="", max_length=200),
                change: str = Parameter(default="", max_length=20),
                asked: str = Parameter(default="", max_length=20)) -> Template:
    runtime: Runtime = state.runtime
    chains = runtime.settings.destination_chains
    answers = Answers(address.strip(), chain.strip() or (chains[0] if len(chains) == 1 else ""), wallet.strip(),
                      destination.strip())
    # A question counts as answered (so its error shows) when its field or its form was sent.
    sent = set(request.query_params) | {asked}
    for name in QUESTIONS:
        error = _check(runtime, answers, name)
        if error is not None or name == change:
            shown = error if name in sent and name != change else None
            question = _question(runtime, answers, name, shown)
            return await page(state, "question.html", question.question, question,
                              status_code=400 if shown else 200, scripts=words.QUESTION_SCRIPTS)
        if name == "wallet" and answers.wallet == "exchange":
            stop = StopPage(words.EXCHANGE_HEADING, words.EXCHANGE_TEXT, _url(answers, change="wallet"))
            return await page(state, "stop.html", stop.heading, stop)
    return await page(state, "check.html", "Check your answers", _check_page(answers))


def _sign_page(runtime: Runtime, answers: Answers, challenge: challenges.Challenge, choice: journey.MethodChoice
               ) -> SignPage:
    project_id = runtime.settings.walletconnect_project_id
    ways = tuple(way for way in choice.sign_ways if way != "walletconnect" or project_id)
    typed_json = msgspec.json.format(msgspec.json.encode(challenge.typed_data), indent=2).decode() \
        if challenge.typed_data else None
    unsigned = getattr(challenge, "unsigned_transaction", None)
    destination_chain = getattr(challenge, "destination_chain", answers.chain)
    data = {"challenge_id": str(challenge.challenge_id), "method": challenge.method, "message": challenge.message,
            "typed_data": challenge.typed_data, "unsigned_transaction": unsigned,
            "address": answers.address, "evm_chain_id": runtime.settings.evm_chain_id,
            "walletconnect_project_id": project_id if "walletconnect" in ways else None,
            "wallet": answers.wallet, **registry.method(challenge.method).page_data()}
    label, hint = words.proof_field(challenge.method)
    return SignPage(
        challenge_id=str(challenge.challenge_id), method=challenge.method,
        method_name=words.METHOD_NAMES[challenge.method],
        message=challenge.message, typed_data_json=typed_json, unsigned_transaction=unsigned,
        expires_at=challenge.expires_at.strftime("%H:%M UTC on %d %B %Y"), address=answers.address,
        destination=answers.destination, destination_chain=destination_chain, sign_ways=ways,
        walletconnect_project_id=data["walletconnect_project_id"],
        commands=words.commands(challenge.method), proof_label=label,
        proof_hint=hint, challenge_data=data, hidden=answers.hidden())


@post("/prove/challenge", operation_id="proveChallengePage", include_in_schema=False, status_code=200)
async def prove_challenge(state: State, request: Request, data: URLEncodedBody[ProveForm]) -> Template:
    runtime: Runtime = state.runtime
    answers = Answers(data.address.strip(), data.chain.strip(), data.wallet.strip(), data.destination.strip())
    for name in QUESTIONS:
        error = _check(runtime, answers, name)
        if error is not None:
            question = _question(runtime, answers, name, error)
            return await page(state, "question.html", question.question, question, status_code=400,
                              scripts=words.QUESTION_SCRIPTS)
    choice = journey.method_for(parse_address(answers.address).chain, answers.wallet)  # type: ignore[arg-type]
    if choice is None:
        stop = StopPage(words.EXCHANGE_HEADING, words.EXCHANGE_TEXT, _url(answers, change="wallet"))
        return await page(state, "stop.html", stop.heading, stop)
    try:
        challenge = await challenges.issue(runtime.ctx, challenges.NewChallenge(
            answers.address, answers.destination, choice.method, answers.chain,  # type: ignore[arg-type]
            choice.message_style), meta_of(request))
    except PortalError as exc:
        field = exc.field if exc.field in ("address", "destination") else None
        if field:
            question = _question(runtime, answers, field, sentence(exc))
            return await page(state, "question.html", question.question, question, status_code=exc.status,
                              scripts=words.QUESTION_SCRIPTS)
        check = msgspec.structs.replace(_check_page(answers), errors=(FieldError("get-message", sentence(exc)),))
        return await page(state, "check.html", "Check your answers", check, status_code=exc.status)
    sign = _sign_page(runtime, answers, challenge, choice)
    return await page(state, "sign.html", "Sign the message", sign, scripts=words.SIGN_SCRIPTS)


def _proof_submission(form: SubmitForm, challenge_id: uuid.UUID) -> filing.ProofSubmission:
    text = form.proof.strip()
    kind = form.proof_kind
    if kind not in ("signature", "signed_transaction", "tx_hash"):
        kind = words.proof_kind_of(form.method, text)
    return filing.ProofSubmission(challenge_id, **{kind: text})


async def _retry(state: State, answers: Answers, message: str, status_code: int) -> Template:
    retry = RetryPage(message, answers.hidden(), errors=(FieldError("get-message", message),))
    return await page(state, "retry.html", "Your proof was not accepted", retry, status_code=status_code)


@post("/prove/submit", operation_id="proveSubmitPage", include_in_schema=False, status_code=200)
async def prove_submit(state: State, request: Request, data: URLEncodedBody[SubmitForm]) -> Template:
    runtime: Runtime = state.runtime
    answers = Answers(data.address, data.chain, data.wallet, data.destination)
    try:
        challenge_id = uuid.UUID(data.challenge_id)
    except ValueError:
        return await _retry(state, answers, words.BAD_CHALLENGE, 400)
    if not data.proof.strip():
        return await _retry(state, answers, words.EMPTY_PROOF, 400)
    try:
        outcome = await filing.submit(runtime.ctx, _proof_submission(data, challenge_id), meta_of(request))
    except PortalError as exc:
        return await _retry(state, answers, sentence(exc), exc.status)
    confirmation = ConfirmationPage(
        request_id=str(outcome.request_id), status_token=outcome.status_token,
        status_url=f"/requests/{outcome.request_id}",
        bookmark_url=f"/requests/{outcome.request_id}#token={outcome.status_token}" if outcome.status_token else None,
        expected_review_hours=outcome.expected_review_hours,
        token_file=words.token_file(str(outcome.request_id), outcome.status_token, runtime.settings.public_url))
    title = "Your request has been sent" if outcome.created else "You already have a request"
    template = await page(state, "confirmation.html", title, confirmation)
    template.headers.update(NO_STORE)
    return template


ROUTES = [prove, prove_challenge, prove_submit]
RATE_LIMITED_PATHS = frozenset({"/prove/challenge", "/prove/submit"})
