"""The input guard's bounds, as pure functions: depth by a linear scan, fields counted, strings walked
without recursion (issue 19: 30,000 nested brackets overflowed the C stack and killed the worker)."""

from __future__ import annotations

import time

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.errors import ControlCharacterError, TooDeepError, TooManyFieldsError
from portal.http.input_guard import (
    MAX_FIELDS,
    MAX_JSON_DEPTH,
    _strings,
    check_json,
    check_text,
    json_too_deep,
    parse_fields,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="[]{}\"\\ab,:é\n"),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet="[]{}\"ab", max_size=4),
                                                                     children, max_size=3),
    max_leaves=60)


def depth_of(value: object) -> int:
    """The reference: nesting depth of a decoded value, by recursion (safe on the small values made here)."""
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=12))
def test_depth_scan_agrees_with_the_decoded_value(value: object, limit: int) -> None:
    # brackets and quotes inside strings and keys never count; escapes never end a string
    body = msgspec.json.encode(value)
    assert json_too_deep(body, limit) == (depth_of(value) > limit)


@given(st.integers(min_value=0, max_value=40))
def test_depth_scan_on_raw_nesting(depth: int) -> None:
    for opener, closer in [(b"[", b"]"), (b'{"a":', b"}")]:
        body = opener * depth + b"1" + closer * depth
        assert json_too_deep(body, 32) == (depth > 32)


def test_the_reported_body_is_refused_in_milliseconds() -> None:
    for body in [b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000, b"[" * 600_000]:
        started = time.perf_counter()
        with pytest.raises(TooDeepError) as refused:
            check_json(body)
        assert time.perf_counter() - started < 0.05
        assert refused.value.field == "body" and refused.value.code == "too_deep"


def test_hostile_shapes_cost_linear_time() -> None:
    # unterminated strings, escaped quotes, and wide shallow arrays: each scanned once
    for body in [b'"\\"' * 200_000, b'["' + b"\\\"" * 200_000, b"[]," * 200_000, b'"",' * 200_000,
                 b"[" + b'"[",' * 150_000 + b"1]"]:
        started = time.perf_counter()
        assert not json_too_deep(body)
        assert time.perf_counter() - started < 0.25, body[:20]


def test_a_markdown_text_full_of_brackets_is_not_deep() -> None:
    text = "[[official]](https://evil.example) " * 1000
    assert not json_too_deep(msgspec.json.encode({"text": text}))


def test_strings_are_walked_without_recursion_and_named_by_path() -> None:
    deep: object = "x\x00"
    for _ in range(50_000):
        deep = [deep]
    found = list(_strings(deep))
    assert found == [("[0]" * 50_000, "x\x00")]
    assert list(_strings({"a": ["b", {"c": "d"}], "e": "f"})) == [
        ("a", "a"), ("a[0]", "b"), ("a[1].c", "c"), ("a[1].c", "d"), ("e", "e"), ("e", "f")]


def test_lone_surrogates_are_refused_like_control_characters() -> None:
    # msgspec refuses a lone surrogate escape itself (the handler answers 400); a decoded one is ours
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(b'"a\\udc80b"')
    with pytest.raises(ControlCharacterError) as refused:
        check_text("reason", "a\udc80b")
    assert refused.value.field == "reason" and "surrogate" in refused.value.detail


def test_field_count_is_bounded() -> None:
    assert len(parse_fields("&".join(f"f{i}=1" for i in range(MAX_FIELDS)), "query")) == MAX_FIELDS
    with pytest.raises(TooManyFieldsError) as refused:
        parse_fields("&".join(f"f{i}=1" for i in range(MAX_FIELDS + 1)), "query")
    assert refused.value.field == "query"


def test_the_limit_is_the_documented_one() -> None:
    assert MAX_JSON_DEPTH == 32
