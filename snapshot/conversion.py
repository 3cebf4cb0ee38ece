"""Exact conversion of amounts from the snapshot token's base units to the claim token's.

A snapshot counts the old token in its base units (``10**from_decimals`` of them a token); a claim
tree counts the new token in its own (``10**to_decimals``). A migration gives ``ratio`` new tokens
for one old token, as a rational ``p/q``. So an amount ``a`` converts to

    floor(a * p * 10**to_decimals / (q * 10**from_decimals))

computed with integers only (no float, no Decimal context), always rounding down so the claim
side can never owe more than the snapshot holds. What rounding drops is the remainder
``a * N mod D`` in units of ``1/D`` of a new base unit (``N/D`` the reduced factor); exports total
it (``Totals``), so ``sum(converted) * D + sum(remainders) == total * N`` exactly, and the whole
base units lost are ``floor(total * N / D) - sum(converted)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import msgspec

_RATIO = re.compile(r"\s*([0-9]{1,40})\s*(?:/\s*([0-9]{1,40})\s*)?")
MAX_DECIMALS = 77


class Ratio(msgspec.Struct, frozen=True):
    """New tokens per old token, ``numerator/denominator`` (both positive)."""

    numerator: int
    denominator: int

    @classmethod
    def parse(cls, text: str) -> Ratio:
        """``"6/1"``, ``"1/1000"`` or a bare integer ``"6"``; anything else is a ``ValueError``."""
        match = _RATIO.fullmatch(text)
        if match is None:
            raise ValueError(f"ratio must be p/q with positive integers p and q, got {text!r}")
        numerator, denominator = int(match[1]), int(match[2] or 1)
        if numerator < 1 or denominator < 1:
            raise ValueError(f"ratio must be positive, got {text!r}")
        return cls(numerator, denominator)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


class Conversion:
    """Snapshot base units -> claim base units for one pair of decimals and one ratio."""

    __slots__ = ("denominator", "from_decimals", "numerator", "ratio", "to_decimals")

    def __init__(self, from_decimals: int, to_decimals: int, ratio: Ratio) -> None:
        for name, value in (("from_decimals", from_decimals), ("to_decimals", to_decimals)):
            if not 0 <= value <= MAX_DECIMALS:
                raise ValueError(f"{name} must be between 0 and {MAX_DECIMALS}, got {value}")
        self.from_decimals = from_decimals
        self.to_decimals = to_decimals
        self.ratio = ratio
        numerator = ratio.numerator * 10**to_decimals
        denominator = ratio.denominator * 10**from_decimals
        common = math.gcd(numerator, denominator)
        self.numerator = numerator // common
        self.denominator = denominator // common

    def convert(self, amount: int) -> int:
        """The claim amount: rounded down."""
        return amount * self.numerator // self.denominator

    def convert_exact(self, amount: int) -> tuple[int, int]:
        """``(claim amount, remainder)``: ``claim * denominator + remainder == amount * numerator``."""
        return divmod(amount * self.numerator, self.denominator)

    def totals(self, amounts: Iterable[int]) -> Totals:
        total = converted = remainder = 0
        for amount in amounts:
            whole, rest = divmod(amount * self.numerator, self.denominator)
            total += amount
            converted += whole
            remainder += rest
        return Totals(total=str(total), converted=str(converted), converted_total=str(self.convert(total)),
                      remainder_units=str(self.convert(total) - converted),
                      remainder=f"{remainder}/{self.denominator}")


class Totals(msgspec.Struct, frozen=True):
    """What an export reports of its conversion (decimal strings: amounts outgrow JSON numbers).

    ``total`` in snapshot units; ``converted`` the sum of the rounded-down entries;
    ``converted_total`` the total converted at once; ``remainder_units`` the whole claim base units
    rounding dropped (``converted + remainder_units == converted_total``); ``remainder`` the exact
    dropped fraction, ``sum of remainders / denominator`` claim base units.
    """

    total: str
    converted: str
    converted_total: str
    remainder_units: str
    remainder: str
