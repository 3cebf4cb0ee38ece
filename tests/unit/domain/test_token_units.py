"""Token units from base units: exact, grouped, no float."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.domain.amounts import token_units


def test_examples() -> None:
    assert token_units(1_234_500_000_000_000_000_000, 18) == "1,234.5"
    assert token_units(1, 18) == "0.000000000000000001"
    assert token_units(0, 6) == "0"
    assert token_units(10**78, 0) == f"{10**78:,}"


@given(st.integers(min_value=0, max_value=2**256 - 1), st.integers(min_value=0, max_value=36))
def test_round_trip(base_units: int, decimals: int) -> None:
    whole, _, fraction = token_units(base_units, decimals).replace(",", "").partition(".")
    assert int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or 0) == base_units
