"""Amount conversion: integer floor, exact in both directions, remainders account for every unit."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapshot.conversion import Conversion, Ratio

decimals = st.integers(0, 24)
ratios = st.builds(Ratio, st.integers(1, 10**6), st.integers(1, 10**6))
amounts = st.integers(0, 2**128)


@given(amount=amounts, source=decimals, target=decimals, ratio=ratios)
def test_conversion_is_the_floor_of_the_exact_rational(amount: int, source: int, target: int, ratio: Ratio) -> None:
    conversion = Conversion(source, target, ratio)
    exact = Fraction(amount) * Fraction(ratio.numerator, ratio.denominator) * Fraction(10**target, 10**source)
    converted, remainder = conversion.convert_exact(amount)
    assert converted == conversion.convert(amount) == exact.numerator // exact.denominator
    assert converted * conversion.denominator + remainder == amount * conversion.numerator
    assert 0 <= remainder < conversion.denominator


@given(amount=amounts, low=decimals, extra=st.integers(0, 12), ratio=ratios)
def test_widening_then_narrowing_with_the_inverse_ratio_returns_the_amount(amount: int, low: int, extra: int,
                                                                          ratio: Ratio) -> None:
    # Up to more decimals with ratio p/q loses nothing only when q divides what it scales; with an
    # integer ratio (q = 1) and more decimals, the round trip through the inverse ratio is exact.
    up = Conversion(low, low + extra, Ratio(ratio.numerator, 1))
    down = Conversion(low + extra, low, Ratio(1, ratio.numerator))
    assert up.convert_exact(amount)[1] == 0
    assert down.convert(up.convert(amount)) == amount


@given(amount=amounts, low=decimals, extra=st.integers(0, 12))
def test_narrowing_floors_to_whole_units_of_the_smaller_token(amount: int, low: int, extra: int) -> None:
    down = Conversion(low + extra, low, Ratio(1, 1))
    up = Conversion(low, low + extra, Ratio(1, 1))
    assert up.convert(down.convert(amount)) == amount - amount % 10**extra


@given(values=st.lists(amounts, max_size=40), source=decimals, target=decimals, ratio=ratios)
def test_sum_of_converted_plus_remainders_is_the_converted_total(values: list[int], source: int, target: int,
                                                                 ratio: Ratio) -> None:
    conversion = Conversion(source, target, ratio)
    totals = conversion.totals(values)
    converted = sum(conversion.convert(value) for value in values)
    assert int(totals.converted) == converted and int(totals.total) == sum(values)
    assert int(totals.converted) + int(totals.remainder_units) == int(totals.converted_total)
    assert int(totals.converted_total) == conversion.convert(sum(values))
    numerator, denominator = (int(part) for part in totals.remainder.split("/"))
    assert denominator == conversion.denominator
    assert converted * denominator + numerator == sum(values) * conversion.numerator
    assert 0 <= int(totals.remainder_units) <= len(values)


@pytest.mark.parametrize(("text", "expected"), [("1/1", Ratio(1, 1)), ("6/1", Ratio(6, 1)), ("6", Ratio(6, 1)),
                                                (" 3 / 2 ", Ratio(3, 2)), ("1/1000", Ratio(1, 1000))])
def test_ratio_text_parses(text: str, expected: Ratio) -> None:
    assert Ratio.parse(text) == expected


@pytest.mark.parametrize("text", ["0/1", "1/0", "1.5", "-1/2", "1/2/3", "", "a/b", "1e3"])
def test_bad_ratio_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ratio"):
        Ratio.parse(text)


def test_decimals_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="to_decimals"):
        Conversion(9, 78, Ratio(1, 1))
