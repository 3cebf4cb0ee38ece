"""The guided flow's view models, built from the domain's step (``portal.domain.journey``) and words.

The domain says which question comes next and what is wrong with an answer (a ``Problem``); this
module says it in the holder's words, and carries the answers from page to page as hidden fields
and links (public addresses and choices, never secrets).
"""

from __future__ import annotations

from urllib.parse import urlencode

import msgspec

from portal.domain import challenges, journey
from portal.domain.eligibility import parse_address
from portal.domain.journey import JourneyAnswers
from portal.domain.proofs import registry
from portal.http.copy import journey as copy
from portal.http.copy.errors import sentence
from portal.http.copy.safe import contract_chain_warning
from portal.http.pages.view_models import (
    CheckPage,
    Choice,
    Command,
    FieldError,
    QuestionPage,
    SignPage,
    Summary,
    TypedField,
    TypedSection,
)
from portal.settings import Settings

Hidden = tuple[tuple[str, str], ...]

QUESTION_SCRIPTS = ("js/main.js",)
SIGN_SCRIPTS = ("js/main.js", "js/sign.js")
METHOD_NAMES = {method.name: method.holder.name for method in registry.METHODS}


def commands(method: str) -> tuple[Command, ...]:
    return tuple(Command(label, text) for label, text in copy.commands(method))


def proof_kind_of(method: str, text: str) -> str:
    """Which proof field pasted text is (the registry decides: a signed transaction is far longer than a
    64-byte signature); a signature when the form names no method the registry knows."""
    found = registry.BY_NAME.get(method)
    return found.field_of(text) if found else "signature"


_ASKED = {
    "address": "Which address held the old token?",
    "chain": "Where do you want to receive the new token?",
    "wallet": "What kind of wallet holds the snapshot address?",
    "destination": "Which address should receive the new token?",
}
_MISSING = {
    "address": "Enter the address that held the old token.",
    "chain": "Select where you want to receive the new token.",
    "wallet": "Select the kind of wallet that holds it.",
    "destination": "Enter the address that should receive the new token.",
}


def answers_hidden(answers: JourneyAnswers, *, without: str = "") -> Hidden:
    """The answers as hidden form fields, except ``without`` (the question being asked)."""
    return tuple((name, value) for name, value in msgspec.structs.asdict(answers).items()
                 if value and name != without)


def answers_url(answers: JourneyAnswers, **extra: str) -> str:
    """A link back into the journey. It never carries the destination: ``GET /prove`` ignores one, so that
    no link, ours or a stranger's, can fill it in; after a change the holder types it again."""
    fields = dict(answers_hidden(answers, without="destination")) | {k: v for k, v in extra.items() if v}
    return "/prove?" + urlencode(fields)


def problem_sentence(answers: JourneyAnswers, step: journey.Question) -> str | None:
    """What to tell the holder about the answer to ``step.name``, or None when there is nothing to tell."""
    if step.problem is None:
        return None
    if step.problem == "invalid" and step.error is not None:
        return sentence(step.error)
    if step.problem == "not_in_snapshot":
        return copy.NOT_IN_SNAPSHOT
    if step.problem == "wrong_chain":
        return copy.wrong_destination_chain(answers.chain)
    return _MISSING[step.name]


def question_page(settings: Settings, answers: JourneyAnswers, step: journey.Question) -> QuestionPage:
    name = step.name
    previous = journey.previous_question(name, settings.destination_chains)
    back = answers_url(answers, change=previous) if previous else "/"
    error = problem_sentence(answers, step)
    errors = (FieldError(name, error),) if error else ()
    hidden = answers_hidden(answers, without=name)
    value = getattr(answers, name)
    if name == "chain":
        options = tuple(Choice(chain, *copy.CHAINS[chain]) for chain in settings.destination_chains)
        return QuestionPage(name, _ASKED[name], copy.CHAIN_HINT, "radios", value, options, hidden, back, errors)
    if name == "wallet":
        holder_chain = parse_address(answers.address).chain
        options = tuple(Choice(kind, *copy.WALLETS[kind]) for kind in journey.wallet_kinds(holder_chain))
        return QuestionPage(name, _ASKED[name], copy.wallet_hint(holder_chain), "radios", value, options, hidden,
                            back, errors)
    hint = copy.ADDRESS_HINT if name == "address" else copy.destination_hint(answers.chain)
    return QuestionPage(name, _ASKED[name], hint, "text", value, (), hidden, back, errors)


def check_page(settings: Settings, answers: JourneyAnswers, choice: journey.MethodChoice) -> CheckPage:
    """"Check your answers", with the method in words and, before the holder asks for anything to sign,
    what a setting of this portal turns off for their wallet (which setting, what works instead)."""
    summary = (
        Summary("Snapshot address", answers.address, answers_url(answers, change="address")),
        Summary("Receive the new token on", copy.CHAINS[answers.chain][0], answers_url(answers, change="chain")),
        Summary("Wallet", copy.WALLETS[answers.wallet][0], answers_url(answers, change="wallet")),
        Summary("Destination address", answers.destination, answers_url(answers, change="destination")),
    )
    off = copy.ways_turned_off(answers.wallet, parse_address(answers.address).chain, choice.sign_ways,
                               settings.walletconnect_project_id is not None, commands_below=False)[1:]
    return CheckPage(summary, METHOD_NAMES[choice.method], (*copy.method_words(choice), *off), answers_hidden(answers),
                     answers_url(answers, change="destination"), get_button=copy.get_button(choice.method),
                     chain_warning=chain_warning(settings, choice.method, answers.address))


def chain_warning(settings: Settings, method: str, address: str) -> str:
    """For a contract wallet's method: it proves ``address`` on the configured chain only (empty otherwise)."""
    return contract_chain_warning(address, settings.evm_chain_id) if registry.method(method).contract_wallet else ""


def typed_fields(typed_data: dict) -> tuple[TypedSection, ...]:
    """The EIP-712 data as a wallet lists it: the domain's fields, then the message's, in the order their
    types declare them, each value as the wallet prints it (numbers in decimal, addresses as given)."""
    sections = []
    for section, type_name in (("domain", "EIP712Domain"), ("message", typed_data["primaryType"])):
        values = typed_data[section]
        fields = tuple(TypedField(field["name"], str(values[field["name"]]),
                                  copy.timestamp_note(values[field["name"]])
                                  if field["name"] in ("issuedAt", "expiresAt") else "")
                       for field in typed_data["types"][type_name])
        sections.append(TypedSection(copy.TYPED_SECTIONS[section], fields))
    return tuple(sections)


def sign_page(settings: Settings, answers: JourneyAnswers, challenge: challenges.Challenge,
              choice: journey.MethodChoice) -> SignPage:
    project_id = settings.walletconnect_project_id
    ways = tuple(way for way in choice.sign_ways if way != "walletconnect" or project_id)
    memo = challenge.nonce_line if challenge.unsigned_transaction else None
    exact_heading, exact_words = copy.exact_words(challenge.method)
    typed_json = msgspec.json.format(msgspec.json.encode(challenge.typed_data), indent=2).decode() \
        if challenge.typed_data else None
    unsigned = getattr(challenge, "unsigned_transaction", None)
    destination_chain = getattr(challenge, "destination_chain", answers.chain)
    data = {"challenge_id": str(challenge.challenge_id), "method": challenge.method, "message": challenge.message,
            "typed_data": challenge.typed_data, "unsigned_transaction": unsigned,
            "address": answers.address, "evm_chain_id": settings.evm_chain_id,
            "walletconnect_project_id": project_id if "walletconnect" in ways else None,
            "wallet": answers.wallet, **registry.method(challenge.method).page_data()}
    label, hint = copy.proof_field(challenge.method)
    return SignPage(
        challenge_id=str(challenge.challenge_id), method=challenge.method,
        method_name=METHOD_NAMES[challenge.method],
        message=challenge.message, typed_data_json=typed_json, unsigned_transaction=unsigned,
        expires_at=challenge.expires_at.strftime("%H:%M UTC on %d %B %Y"), address=answers.address,
        destination=answers.destination, destination_chain=destination_chain, sign_ways=ways,
        walletconnect_project_id=data["walletconnect_project_id"],
        commands=commands(challenge.method), proof_label=label,
        proof_hint=hint, challenge_data=data, hidden=answers_hidden(answers),
        destination_heading=copy.SIGN_DESTINATION_HEADING, destination_warning=copy.SIGN_WARNING,
        heading=copy.sign_heading(challenge.method), exact_heading=exact_heading, exact_words=exact_words,
        typed_fields=typed_fields(challenge.typed_data) if challenge.typed_data else (), memo=memo,
        ways_off=copy.ways_turned_off(answers.wallet, parse_address(answers.address).chain, choice.sign_ways,
                                      project_id is not None),
        paste_words=copy.paste_words(challenge.method),
        chain_warning=chain_warning(settings, challenge.method, answers.address))
