"""Destinations nobody can use are refused with their own code, before any challenge is issued."""

from __future__ import annotations

import pytest

from portal.domain.challenges import _destination
from portal.errors import UnusableDestinationError
from portal.settings import Settings


@pytest.mark.parametrize("destination", [
    "0x0000000000000000000000000000000000000000",
    "0x000000000000000000000000000000000000dEaD",
    "0x000000000000000000000000000000000000dead",
    "1nc1nerator11111111111111111111111111111111",
    "11111111111111111111111111111111",
])
def test_burn_and_zero_addresses_are_refused(destination: str) -> None:
    with pytest.raises(UnusableDestinationError) as refused:
        _destination(destination, None, Settings())
    assert refused.value.field == "destination" and refused.value.code == "unusable_destination"


def test_an_ordinary_address_passes() -> None:
    assert _destination("0x3333333333333333333333333333333333333333", None, Settings()).chain == "evm"
