"""Amounts for people: base units (exact integers) as token units, without any float in between."""

from __future__ import annotations


def token_units(base_units: int, decimals: int) -> str:
    """``1234500000000000000000, 18`` -> ``"1,234.5"``: grouped whole part, fraction without trailing zeros."""
    whole, fraction = divmod(base_units, 10**decimals)
    text = f"{whole:,}"
    if fraction:
        text += "." + str(fraction).rjust(decimals, "0").rstrip("0")
    return text
