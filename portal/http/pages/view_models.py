"""The Structs templates receive: one per page, built by the page handlers from domain results."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One error of a form: ``field`` is the input's id (the error summary links to it)."""

    field: str
    message: str


class Choice(msgspec.Struct, frozen=True):
    value: str
    label: str
    hint: str = ""


class HomePage(msgspec.Struct, frozen=True):
    address: str = ""
    errors: tuple[FieldError, ...] = ()


class EligibilityPage(msgspec.Struct, frozen=True):
    """The answer to "am I in the snapshot?" in words; ``amount_tokens`` is None without known decimals."""

    address: str
    eligible: bool
    chain: str
    snapshot_name: str
    amount_base_units: str
    amount_tokens: str | None
    decimals: int | None
    proof_json: str
    proof_url: str
    prove_url: str
    source: SourceRows | None = None
    excluded_category: str | None = None
    excluded_note: str = ""
    ask_url: str = ""


class SourceRows(msgspec.Struct, frozen=True):
    """Where the answer comes from, in words (``portal.domain.eligibility.SnapshotSource``)."""

    point: str          # "Block 19000000" or "Slot 250000000"
    time: str           # "12:00 UTC on 1 May 2026" or "not recorded"
    method: str
    exclude_sha256: str  # "" when the snapshot left nothing out by list


class Summary(msgspec.Struct, frozen=True):
    """One row of "check your answers": the question, the answer in words, and where to change it."""

    question: str
    answer: str
    change_url: str


class QuestionPage(msgspec.Struct, frozen=True):
    """One question of the guided flow: ``kind`` is "text" or "radios"."""

    name: str
    question: str
    hint: str
    kind: str
    value: str
    options: tuple[Choice, ...]
    hidden: tuple[tuple[str, str], ...]
    back_url: str
    errors: tuple[FieldError, ...] = ()


class StopPage(msgspec.Struct, frozen=True):
    """A dead end said plainly (tokens on an exchange): what cannot be done here and what to do instead."""

    heading: str
    paragraphs: tuple[str, ...]
    back_url: str


class CheckPage(msgspec.Struct, frozen=True):
    summary: tuple[Summary, ...]
    method_name: str
    method_words: tuple[str, ...]
    hidden: tuple[tuple[str, str], ...]
    back_url: str
    errors: tuple[FieldError, ...] = ()
    get_button: str = "Get the message to sign"
    chain_warning: str = ""  # a contract wallet: it proves this address on this chain only


class Command(msgspec.Struct, frozen=True):
    label: str
    text: str


class TypedField(msgspec.Struct, frozen=True):
    """One EIP-712 field as a wallet lists it: name and value, and a note in words where the value is a
    number a person cannot read (a Unix time)."""

    name: str
    value: str
    note: str = ""


class TypedSection(msgspec.Struct, frozen=True):
    """The domain's fields, or the message's, in the order their type declares them."""

    title: str
    fields: tuple[TypedField, ...]


class SignPage(msgspec.Struct, frozen=True):
    """The challenge exactly as the wallet will show it (text, EIP-712 fields, or the transaction's memo),
    every way offered to sign it, and the ways a setting turned off (``ways_off``: a heading, then which
    setting and what works instead)."""

    challenge_id: str
    method: str
    method_name: str
    message: str
    typed_data_json: str | None
    unsigned_transaction: str | None
    expires_at: str
    address: str
    destination: str
    destination_chain: str
    sign_ways: tuple[str, ...]
    walletconnect_project_id: str | None
    commands: tuple[Command, ...]
    proof_label: str
    proof_hint: str
    challenge_data: dict
    hidden: tuple[tuple[str, str], ...]
    errors: tuple[FieldError, ...] = ()
    destination_heading: str = ""
    destination_warning: str = ""
    heading: str = "Sign the message"
    exact_heading: str = ""
    exact_words: str = ""
    typed_fields: tuple[TypedSection, ...] = ()
    memo: str | None = None
    ways_off: tuple[str, ...] = ()
    paste_words: str = ""
    chain_warning: str = ""  # a contract wallet: it proves this address on this chain only


class RetryPage(msgspec.Struct, frozen=True):
    """A proof that was not accepted: the sentence, and a button for a fresh message with the same answers."""

    message: str
    hidden: tuple[tuple[str, str], ...]
    errors: tuple[FieldError, ...] = ()
    get_button: str = "Get a new message to sign"


class ConfirmationPage(msgspec.Struct, frozen=True):
    request_id: str
    status_token: str | None
    status_url: str
    bookmark_url: str | None
    expected_review_hours: int
    token_file: str


class AnswerRow(msgspec.Struct, frozen=True):
    at: str
    text: str


class ClaimView(msgspec.Struct, frozen=True):
    """The release a holder claims from, in words and as the exact call (``portal.http.copy.release``)."""

    sentence: str
    proof: str
    command: str
    merkle_root: str
    claimed: bool = False
    freshness: str = ""


class StatusPage(msgspec.Struct, frozen=True):
    """The holder's own request, or (``status`` empty) the form asking for its status token."""

    request_id: str
    status: str = ""
    status_words: str = ""
    destination: str = ""
    amount: str = ""
    amount_tokens: str | None = None  # None when the snapshot declares no decimals
    created_at: str = ""
    review_by: str = ""
    public_note: str | None = None
    answers: tuple[AnswerRow, ...] = ()
    can_answer: bool = False
    status_token: str = ""
    answered: bool = False
    answer_text: str = ""
    ask_reference: bool = False
    errors: tuple[FieldError, ...] = ()
    next_step: str = ""
    claim: ClaimView | None = None
