"""The guided "my wallet can't connect" journey: its questions, their order, and which proof fits.

Invariant: every method chosen here is one ``challenges.issue`` accepts for the holder's chain, and
every way to sign offered with it can produce that method's proof. The pages ask one question at a
time (snapshot address, destination chain, wallet kind, destination address) and then issue the
challenge with this choice; the JSON API leaves the choice to the caller.

The flow is decided here, not by the pages: ``next_question`` takes the answers so far
(``JourneyAnswers``) and says what comes next, exactly one of ``Question`` (ask this, with what is
wrong with the answer given, if anything), ``Stop`` (tokens on an exchange: nothing to prove here)
or ``Ready`` (every answer holds: the method to prove with). It is pure: the only outside facts it
needs, the destination chains offered and whether an address is in the snapshot, are passed in.
The pages (``portal.http.pages.journey``) turn a step into words and a page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Literal

import msgspec

import snapshot
from portal.domain.eligibility import parse_address
from portal.errors import PortalError

WalletKind = Literal["tangem", "hardware", "browser", "safe", "contract", "cli", "exchange"]
SignWay = Literal["injected", "walletconnect", "paste"]

EVM_WALLETS: tuple[WalletKind, ...] = ("browser", "hardware", "tangem", "safe", "contract", "exchange")
SOLANA_WALLETS: tuple[WalletKind, ...] = ("browser", "hardware", "tangem", "cli", "exchange")


class MethodChoice(msgspec.Struct, frozen=True):
    """The proof method for a wallet, the message style, and the ways to sign, best first."""

    method: str
    message_style: Literal["standard", "one_line"]
    sign_ways: tuple[SignWay, ...]


_EVM = {
    "browser": MethodChoice("eip191", "standard", ("injected", "walletconnect", "paste")),
    # Ledger and Trezor show EIP-712 fields on the device instead of an opaque hash.
    "hardware": MethodChoice("eip712", "standard", ("injected", "walletconnect", "paste")),
    # The Tangem app signs personal_sign through WalletConnect only.
    "tangem": MethodChoice("eip191", "standard", ("walletconnect", "paste")),
    # A Safe: its owners sign one at a time, over days, on the Safe's own page (issue 26).
    "safe": MethodChoice("safe", "standard", ("injected", "paste")),
    # Another contract wallet or smart account: an owner signs, the contract says yes on chain (EIP-1271, 6492).
    "contract": MethodChoice("eip1271", "standard", ("injected", "walletconnect", "paste")),
}
_SOLANA = {
    "browser": MethodChoice("solana", "standard", ("injected", "walletconnect", "paste")),
    # A Ledger clear-signs only one printable line (off-chain message format 0).
    "hardware": MethodChoice("solana", "one_line", ("injected", "paste")),
    # Tangem signs a transaction that is never sent; its answer is the signature alone.
    "tangem": MethodChoice("solana_tx", "standard", ("walletconnect", "injected", "paste")),
    "cli": MethodChoice("solana", "one_line", ("paste",)),
}


def wallet_kinds(holder_chain: str) -> tuple[WalletKind, ...]:
    return EVM_WALLETS if holder_chain == "evm" else SOLANA_WALLETS


def method_for(holder_chain: str, wallet: WalletKind) -> MethodChoice | None:
    """``None`` for an exchange: an exchange's deposit address is not the holder's to sign for."""
    return (_EVM if holder_chain == "evm" else _SOLANA).get(wallet)


QuestionName = Literal["address", "chain", "wallet", "destination"]
QUESTIONS: tuple[QuestionName, ...] = ("address", "chain", "wallet", "destination")
"""The questions in the order they are asked; ``chain`` is skipped when only one chain is offered."""

Problem = Literal["missing", "invalid", "not_in_snapshot", "not_offered", "wrong_chain"]
"""What is wrong with an answer: ``missing`` (empty), ``invalid`` (not an address: see ``error``),
``not_in_snapshot``, ``not_offered`` (a choice not among the options), ``wrong_chain`` (a destination
on another chain than the one chosen)."""


class JourneyAnswers(msgspec.Struct, frozen=True):
    """The answers so far, as typed ("" when not yet given): public addresses and choices, no secrets."""

    address: str = ""
    chain: str = ""
    wallet: str = ""
    destination: str = ""

    def with_default_chain(self, destination_chains: tuple[str, ...]) -> JourneyAnswers:
        """The chain answered for the holder when only one is offered (that question is then never asked)."""
        if self.chain or len(destination_chains) != 1:
            return self
        return msgspec.structs.replace(self, chain=destination_chains[0])


@dataclass(frozen=True, slots=True)
class Question:
    """Ask ``name``. ``problem`` (with the domain's ``error`` when the text is not an address) is what
    to tell the holder about the answer given; None when there is nothing to say yet (the question was
    never answered, or the holder asked to change the answer)."""

    name: QuestionName
    problem: Problem | None = None
    error: PortalError | None = field(default=None, compare=False)  # exceptions compare by identity


@dataclass(frozen=True, slots=True)
class Stop:
    """A dead end: the tokens are on an exchange, whose deposit address is not the holder's to sign for."""

    reason: Literal["exchange"] = "exchange"


@dataclass(frozen=True, slots=True)
class Ready:
    """Every answer holds: prove ``holder`` with ``choice``."""

    holder: snapshot.Address
    choice: MethodChoice


Step = Question | Stop | Ready
InSnapshot = Callable[[snapshot.Address], bool]


def _address_problem(text: str, field: str) -> tuple[snapshot.Address | None, Problem | None, PortalError | None]:
    if not text:
        return None, "missing", None
    try:
        return parse_address(text, field=field), None, None
    except PortalError as exc:
        return None, "invalid", exc


def next_question(answers: JourneyAnswers, destination_chains: tuple[str, ...], in_snapshot: InSnapshot, *,
                  sent: Collection[str] = QUESTIONS, change: str = "") -> Step:
    """The one next step for ``answers``: the first question whose answer does not hold (or ``change``,
    the one the holder asked to change), else the exchange stop, else ``Ready``.

    A question's problem is told only when the question counts as answered: its name is in ``sent``
    (its field or its form was sent) and it is not the one being changed.
    """

    def ask(name: QuestionName, problem: Problem | None = None, error: PortalError | None = None) -> Question:
        told = name in sent and name != change
        return Question(name, problem, error) if told and problem else Question(name)

    holder, problem, error = _address_problem(answers.address, "address")
    if holder is None or not in_snapshot(holder):
        return ask("address", problem or "not_in_snapshot", error)
    if change == "address":
        return ask("address")
    if answers.chain not in destination_chains:
        return ask("chain", "not_offered")
    if change == "chain":
        return ask("chain")
    if answers.wallet not in wallet_kinds(holder.chain):
        return ask("wallet", "not_offered")
    if change == "wallet":
        return ask("wallet")
    choice = method_for(holder.chain, answers.wallet)  # type: ignore[arg-type]
    if choice is None:
        return Stop()
    target, problem, error = _address_problem(answers.destination, "destination")
    if target is None:
        return ask("destination", problem, error)
    if target.chain != answers.chain:
        return ask("destination", "wrong_chain")
    if change == "destination":
        return ask("destination")
    return Ready(holder, choice)


def previous_question(name: QuestionName, destination_chains: tuple[str, ...]) -> QuestionName | None:
    """The question asked before ``name`` (where "Back" goes), skipping ``chain`` when it is never asked."""
    asked = [q for q in QUESTIONS[:QUESTIONS.index(name)] if q != "chain" or len(destination_chains) > 1]
    return asked[-1] if asked else None
