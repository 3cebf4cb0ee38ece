"""The guard's text rule as a property: refused exactly when a character it forbids is present."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.errors import ControlCharacterError
from portal.http.input_guard import MULTILINE_FIELDS, check_json, check_text
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError

FORBIDDEN = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
LINE_BREAKS = {"\t", "\n", "\r"}


@given(st.text())
def test_single_line_fields_refuse_every_control_character(text: str) -> None:
    if FORBIDDEN & set(text):
        with pytest.raises(ControlCharacterError) as raised:
            check_text("address", text)
        assert raised.value.field == "address"
    else:
        check_text("address", text)


@given(st.text(), st.sampled_from(sorted(MULTILINE_FIELDS)))
def test_multiline_fields_allow_only_tab_and_line_breaks(text: str, field: str) -> None:
    if (FORBIDDEN - LINE_BREAKS) & set(text):
        with pytest.raises(ControlCharacterError):
            check_text(f"answers[0].{field}", text)
    else:
        check_text(f"answers[0].{field}", text)


def test_json_keys_and_nested_values_are_checked_and_named() -> None:
    with pytest.raises(ControlCharacterError) as raised:
        check_json(b'{"a": [{"b": "x\\u0000"}]}')
    assert raised.value.field == "a[0].b"
    check_json(b'{"not json')  # left for the handler's own 400


def test_forty_hex_digits_are_an_evm_address_without_0x() -> None:
    with pytest.raises(InvalidAddressError, match="EVM addresses start with 0x"):
        parse_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    with pytest.raises(InvalidAddressError, match="Solana"):
        parse_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb9226")  # 39 digits: not the EVM shape
