"""A case's holder input: the text and the evidence list (transaction hashes, Solana signatures)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.cases import MAX_EVIDENCE_ITEMS, MAX_TEXT_CHARS, clean_evidence, clean_message
from portal.errors import InvalidInputError

EVM_HASH = st.from_regex(r"0x[0-9a-fA-F]{64}", fullmatch=True)
SOLANA_SIGNATURE = st.from_regex(r"[1-9A-HJ-NP-Za-km-z]{64,88}", fullmatch=True)
EVM_HASH_RE = re.compile(r"0x[0-9a-fA-F]{64}")
SOLANA_RE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{64,88}")


@given(st.lists(st.one_of(EVM_HASH, SOLANA_SIGNATURE), max_size=MAX_EVIDENCE_ITEMS))
def test_well_formed_evidence_is_kept_once_each_evm_hash_lowercased(items: list[str]) -> None:
    kept = clean_evidence(tuple(items))
    expected = []
    for item in items:
        normal = item.lower() if item.startswith("0x") else item
        if normal not in expected:
            expected.append(normal)
    assert kept == expected


@given(st.text(max_size=120))
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    if text.strip() and (EVM_HASH_RE.fullmatch(text.strip()) or SOLANA_RE.fullmatch(text.strip())):
        return
    with pytest.raises(InvalidInputError) as caught:
        clean_evidence((text,))
    assert caught.value.field == "evidence"


def test_too_many_items_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="at most"):
        clean_evidence(("0x" + "a" * 64,) * (MAX_EVIDENCE_ITEMS + 1))


@given(st.text(max_size=MAX_TEXT_CHARS + 10))
def test_text_is_words_without_control_characters_within_the_limit(text: str) -> None:
    stripped = text.strip()
    bad = any((ord(c) < 32 and c not in "\t\n\r") or 127 <= ord(c) <= 159 for c in stripped)
    if not stripped or bad or len(stripped) > MAX_TEXT_CHARS:
        with pytest.raises(InvalidInputError) as caught:
            clean_message(text)
        assert caught.value.field == "text"
    else:
        assert clean_message(text) == stripped
