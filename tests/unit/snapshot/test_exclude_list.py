"""The exclude list's lines: ``address # category: note``, and older lists still read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapshot.errors import ChainError
from snapshot.exclude import CATEGORIES, MAX_NOTE_CHARS, entries_of, parse_line
from snapshot.from_chain import ExcludeList

EVM = "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb"
EVM_CHECKSUMMED = "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"


@pytest.mark.parametrize(("line", "expected"), [
    (f"{EVM} # exchange: Example hot wallet", (EVM, "exchange", "Example hot wallet")),
    (f"{EVM}#TREASURY:vesting", (EVM, "treasury", "vesting")),
    (f"  {EVM}   # burn", (EVM, "burn", "")),
    (f"{EVM} # pool the AMM pair", (EVM, "pool", "the AMM pair")),
    (f"{EVM} # Binance: hot wallet", (EVM, "other", "Binance: hot wallet")),  # not a category: the whole note
    (f"{EVM} # exchanges are fun", (EVM, "other", "exchanges are fun")),      # a word that starts like one
    (EVM, (EVM, "other", "")),
    ("# treasury", None),
    ("   ", None),
])
def test_lines(line: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_line(line) == expected


def test_a_note_loses_control_characters_and_is_bounded() -> None:
    parsed = parse_line(f"{EVM} # other: a\x00b\x1b[31m" + "x" * 500)
    assert parsed is not None
    assert "\x00" not in parsed[2] and "\x1b" not in parsed[2] and len(parsed[2]) == MAX_NOTE_CHARS


@given(address=st.from_regex(r"[1-9A-HJ-NP-Za-km-z]{32,44}", fullmatch=True),
       category=st.sampled_from(CATEGORIES), note=st.text(max_size=300))
def test_any_category_and_note_round_trip(address: str, category: str, note: str) -> None:
    parsed = parse_line(f"{address} # {category}: {note}")
    assert parsed is not None
    text, got_category, got_note = parsed
    assert text == address and got_category == category
    assert "#" not in got_note or "#" in note
    assert len(got_note) <= MAX_NOTE_CHARS and not any(ord(c) < 32 or 127 <= ord(c) <= 159 for c in got_note)


@given(st.text(max_size=200))
def test_any_line_parses_or_is_a_comment(line: str) -> None:
    parsed = parse_line(line)
    if parsed is not None:
        assert parsed[0] == parsed[0].strip() and parsed[0] and "#" not in parsed[0]
        assert parsed[1] in CATEGORIES


def test_the_list_keeps_canonical_addresses_first_line_wins_and_records_them(tmp_path: Path) -> None:
    path = tmp_path / "exclude.txt"
    path.write_text(f"# our list\n{EVM} # treasury: team vesting\n{EVM_CHECKSUMMED} # burn\n")
    exclude = ExcludeList.read(path, "evm")
    assert exclude.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert exclude.recorded() == [{"address": EVM_CHECKSUMMED, "category": "treasury", "note": "team vesting"}]
    assert [entry.category for entry in entries_of({"exclude_entries": exclude.recorded()})] == ["treasury"]
    assert entries_of(None) == [] and entries_of({"exclude_sha256": None}) == []


def test_a_bad_address_still_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "exclude.txt"
    path.write_text(f"{EVM} # exchange: a\n0xnothex # pool: b\n")
    with pytest.raises(ChainError, match="line 2"):
        ExcludeList.read(path, "evm")
