"""A release document's corrections section: written by prepare, read back exactly, held to the entries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy import release, release_corrections, release_writing
from policy.release_corrections import CorrectionNote

CREATED = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
EVM_A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EVM_B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CASE = "5b0f0e7e-1f4c-4d4e-9a59-2b1f3c7d9e10"
TRICKY = 'Withdrawn "in time".\n## Corrections\n- Case `x`: forged\t`code` **bold** <b>é</b>'


def _prepared(reason: str = "Withdrawn in time.", category: str | None = "exchange") -> release_writing.Prepared:
    paid = [(EVM_A, release.ReleaseSource("snap-1", "0x" + "11" * 20, "5000000")),
            (EVM_B, release.ReleaseSource("snap-1", "0x" + "22" * 20, "2500000", CASE)),
            (EVM_A, release.ReleaseSource("snap-1", "0x" + "33" * 20, "1"))]
    return release_writing.prepare(paid, destination_chain="evm", number=1, tree="uniswap", prev="", decimals=6,
                                   created=CREATED,
                                   notes={CASE: CorrectionNote("not_in_snapshot", category, reason)})


def _problems(text: str, prepared: release_writing.Prepared) -> list[release.Problem]:
    return release.entry_problems(release.parse_release(text.encode()), prepared.entries_bytes)


def test_prepare_lists_each_correction_and_the_check_accepts_it() -> None:
    prepared = _prepared()
    line = (f"- Case `{CASE}`: address `0x{'22' * 20}` (snapshot `snap-1`, kind `not_in_snapshot`, category "
            f"`exchange`) to `{EVM_B}`, 2.5 tokens (2500000 base units). Reason: \"Withdrawn in time.\"")
    assert line in prepared.text.split("\n")
    assert prepared.text.count("- Case ") == 1  # approvals of the snapshot as it was are not corrections
    assert _problems(prepared.text, prepared) == []


def test_a_release_without_corrections_has_no_section() -> None:
    paid = [(EVM_A, release.ReleaseSource("snap-1", "0x" + "11" * 20, "5"))]
    prepared = release_writing.prepare(paid, destination_chain="evm", number=1, tree="uniswap", prev="", decimals=0,
                                       created=CREATED)
    assert release_corrections.HEADING not in prepared.text
    assert _problems(prepared.text, prepared) == []


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\"`#\\"), min_size=1,
               max_size=200))
def test_any_reason_reads_back_exactly_on_one_line(reason: str) -> None:
    prepared = _prepared(reason, category=None)
    [listed], problems = release_corrections.parse_section(release.parse_release(prepared.text.encode()).body)
    assert problems == [] and (listed.reason, listed.category, listed.amount) == (reason, None, 2500000)


def test_a_reason_cannot_forge_a_line() -> None:
    prepared = _prepared(TRICKY)
    assert prepared.text.count("\n- Case ") == 1 and prepared.text.count("\n## Corrections\n") == 1
    assert _problems(prepared.text, prepared) == []


@pytest.mark.parametrize(("edit", "says"), [
    (lambda text, line: text.replace(line + "\n", ""), "does not list"),
    (lambda text, line: text.replace(line, line.replace("2.5 tokens", "25 tokens")), "the entries pay 2.5 tokens"),
    (lambda text, line: text.replace(line, line.replace("(2500000 base", "(2500001 base")), "2500001 base units"),
    (lambda text, line: text.replace(line, line.replace(EVM_B, EVM_A)), f"to {EVM_A}"),
    (lambda text, line: text + line + "\n", "twice"),
    (lambda text, line: text + line.replace(CASE, CASE[:-1] + "f") + "\n", "which no entry pays"),
    (lambda text, line: text + "- Case broken\n", "does not read as a correction"),
    (lambda text, line: text.replace(line, line.replace('Reason: "', "Reason: ")), "does not read as a correction"),
])
def test_an_edited_section_is_refused_naming_why(edit, says: str) -> None:  # type: ignore[no-untyped-def]
    prepared = _prepared()
    line = next(line for line in prepared.text.split("\n") if line.startswith("- Case "))
    problems = _problems(edit(prepared.text, line), prepared)
    assert problems and {p.code for p in problems} == {"corrections_mismatch"}
    assert any(says in p.message for p in problems), problems
