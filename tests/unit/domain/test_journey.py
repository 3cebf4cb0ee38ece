"""Every wallet kind offered for a chain maps to a method that chain accepts (or, for an exchange, none),
and the flow (``next_question``) leads any answers to exactly one next step, pure, without HTTP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.journey import (
    QUESTIONS,
    JourneyAnswers,
    Question,
    Ready,
    Step,
    Stop,
    method_for,
    next_question,
    previous_question,
    wallet_kinds,
)
from portal.domain.proofs.registry import names_for
from snapshot import Address


@pytest.mark.parametrize(("chain", "allowed"), [("evm", names_for("evm")), ("solana", names_for("solana"))])
def test_each_wallet_kind_has_a_method_of_its_chain(chain: str, allowed: tuple[str, ...]) -> None:
    for wallet in wallet_kinds(chain):
        choice = method_for(chain, wallet)
        if wallet == "exchange":
            assert choice is None
            continue
        assert choice is not None and choice.method in allowed
        assert "paste" in choice.sign_ways
        assert choice.message_style == "standard" or choice.method == "solana"


def test_ledger_on_solana_gets_the_one_line_text_and_tangem_the_transaction() -> None:
    assert method_for("solana", "hardware").message_style == "one_line"
    assert method_for("solana", "tangem").method == "solana_tx"
    assert method_for("evm", "tangem").sign_ways[0] == "walletconnect"


# --- the flow: next_question ---------------------------------------------------------------------

EVM_HOLDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
SOLANA_HOLDER = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"
EVM_TARGET = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SOLANA_TARGET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
NOT_A_HOLDER = "0x" + "ab" * 20
BOTH = ("evm", "solana")
HOLDERS = frozenset({EVM_HOLDER, SOLANA_HOLDER})


def in_snapshot(holder: Address) -> bool:
    return holder.text in HOLDERS


def step_of(answers: JourneyAnswers, chains: tuple[str, ...] = BOTH, **how: object) -> Step:
    return next_question(answers, chains, in_snapshot, **how)  # type: ignore[arg-type]


def test_questions_come_in_order_and_a_full_set_is_ready() -> None:
    assert step_of(JourneyAnswers()) == Question("address", "missing")
    assert step_of(JourneyAnswers(EVM_HOLDER)) == Question("chain", "not_offered")
    assert step_of(JourneyAnswers(EVM_HOLDER, "solana")) == Question("wallet", "not_offered")
    assert step_of(JourneyAnswers(EVM_HOLDER, "solana", "hardware")) == Question("destination", "missing")
    ready = step_of(JourneyAnswers(EVM_HOLDER, "solana", "hardware", SOLANA_TARGET))
    assert isinstance(ready, Ready) and ready.choice == method_for("evm", "hardware")
    assert ready.holder.text == EVM_HOLDER


def test_a_problem_is_told_only_for_a_question_that_was_answered() -> None:
    assert step_of(JourneyAnswers(), sent=()) == Question("address")
    assert step_of(JourneyAnswers(EVM_HOLDER), sent={"address"}) == Question("chain")
    assert step_of(JourneyAnswers(EVM_HOLDER, "moon"), sent={"address", "chain"}) == Question("chain", "not_offered")


def test_what_is_wrong_with_an_address_is_named() -> None:
    bad = step_of(JourneyAnswers("0x1234"))
    assert isinstance(bad, Question) and bad.problem == "invalid" and bad.error is not None
    assert bad.error.field == "address"
    assert step_of(JourneyAnswers(NOT_A_HOLDER)) == Question("address", "not_in_snapshot")
    wrong = step_of(JourneyAnswers(EVM_HOLDER, "solana", "browser", EVM_TARGET))
    assert wrong == Question("destination", "wrong_chain")
    junk = step_of(JourneyAnswers(EVM_HOLDER, "solana", "browser", "not an address"))
    assert isinstance(junk, Question) and junk.problem == "invalid" and junk.error.field == "destination"


def test_an_exchange_stops_before_the_destination_is_asked() -> None:
    assert step_of(JourneyAnswers(SOLANA_HOLDER, "evm", "exchange")) == Stop()
    assert step_of(JourneyAnswers(EVM_HOLDER, "evm", "exchange", "junk")) == Stop()


def test_change_asks_that_question_again_without_its_problem() -> None:
    full = JourneyAnswers(EVM_HOLDER, "evm", "browser", EVM_TARGET)
    for name in QUESTIONS:
        assert step_of(full, change=name) == Question(name)
    # a problem before the one to change is asked first, and told
    assert step_of(JourneyAnswers("0x12", "evm"), change="chain").name == "address"


def test_one_chain_is_answered_for_the_holder_and_never_asked() -> None:
    answers = JourneyAnswers(EVM_HOLDER).with_default_chain(("solana",))
    assert answers.chain == "solana"
    assert JourneyAnswers(EVM_HOLDER).with_default_chain(BOTH).chain == ""
    assert previous_question("wallet", ("solana",)) == "address"
    assert previous_question("wallet", BOTH) == "chain"
    assert previous_question("address", BOTH) is None


ADDRESSES = st.sampled_from(["", EVM_HOLDER, SOLANA_HOLDER, EVM_TARGET, SOLANA_TARGET, NOT_A_HOLDER, "0x1234",
                             EVM_HOLDER.lower(), "junk"]) | st.text(max_size=50)
CHOICES = st.sampled_from(["", "evm", "solana", "browser", "hardware", "tangem", "contract", "cli", "exchange"]) \
    | st.text(max_size=12)


@given(answers=st.builds(JourneyAnswers, ADDRESSES, CHOICES, CHOICES, ADDRESSES),
       sent=st.sets(st.sampled_from(QUESTIONS)), change=st.sampled_from(("", *QUESTIONS)))
def test_any_answers_lead_to_exactly_one_next_step(answers: JourneyAnswers, sent: set[str], change: str) -> None:
    step = step_of(answers, sent=sent, change=change)
    assert sum(isinstance(step, kind) for kind in (Question, Stop, Ready)) == 1
    again = step_of(answers, sent=sent, change=change)
    assert step == again and repr(getattr(step, "error", None)) == repr(getattr(again, "error", None))  # pure
    if isinstance(step, Question):
        assert step.name in QUESTIONS
        assert step.problem is None or (step.name in sent and step.name != change)
        assert (step.error is not None) == (step.problem == "invalid")
    else:
        assert change == ""  # a question to change is always asked
        assert answers.wallet == "exchange" if isinstance(step, Stop) else answers.wallet != "exchange"


VALID = st.one_of(
    st.tuples(st.just(EVM_HOLDER), st.sampled_from([w for w in wallet_kinds("evm") if w != "exchange"])),
    st.tuples(st.just(SOLANA_HOLDER), st.sampled_from([w for w in wallet_kinds("solana") if w != "exchange"])),
)


@given(holder_wallet=VALID, chain=st.sampled_from(BOTH), chains=st.sampled_from([BOTH, ("evm",), ("solana",)]))
def test_a_fully_valid_set_of_answers_is_ready(holder_wallet: tuple[str, str], chain: str,
                                                chains: tuple[str, ...]) -> None:
    holder, wallet = holder_wallet
    chain = chain if chain in chains else chains[0]
    target = EVM_TARGET if chain == "evm" else SOLANA_TARGET
    step = step_of(JourneyAnswers(holder, chain, wallet, target), chains)
    assert isinstance(step, Ready)
    assert step.choice == method_for(step.holder.chain, wallet)  # type: ignore[arg-type]
