"""Destination tokens: for each destination chain, the new token's decimals and the migration ratio.

Read from a small TOML file (``PORTAL_DESTINATIONS_FILE``) that ``portal serve`` and the exports
load once, because the eligibility answer and every export must convert with the same numbers::

    [solana]
    decimals = 9
    ratio = "1/1"      # new tokens per old token, a rational p/q

    [evm]
    decimals = 18
    ratio = "6/1"

A chain that is not listed converts nothing: its claim amounts are the snapshot's base units.
Conversions need the snapshot's decimals (``portal snapshot build --decimals``); a snapshot that
declares none cannot be converted, and the exports say so instead of guessing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from portal.errors import SettingsError, UnprocessableError
from snapshot.conversion import MAX_DECIMALS, Conversion, Ratio

DestinationChain = Literal["evm", "solana"]
ENV_VARIABLE = "PORTAL_DESTINATIONS_FILE"


class Destination(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The new token on one destination chain."""

    decimals: Annotated[int, msgspec.Meta(ge=0, le=MAX_DECIMALS)]
    ratio: str = "1/1"

    @property
    def parsed_ratio(self) -> Ratio:
        return Ratio.parse(self.ratio)


Destinations = dict[DestinationChain, Destination]


def parse(text: str, *, origin: str = ENV_VARIABLE) -> Destinations:
    """The destinations of a TOML document; ``SettingsError`` naming ``origin`` when it is malformed."""
    try:
        raw = tomllib.loads(text)
        destinations = msgspec.convert(raw, Destinations)
        for destination in destinations.values():
            destination.parsed_ratio  # noqa: B018 - validates the ratio's text
    except (tomllib.TOMLDecodeError, msgspec.ValidationError, ValueError) as exc:
        raise SettingsError(origin, f"bad destinations file: {exc}") from None
    return destinations


def load(path: str | None) -> Destinations:
    """The destinations file at ``path`` (none configured when ``path`` is None)."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(ENV_VARIABLE, f"cannot read {path}: {exc.strerror}") from None
    return parse(text, origin=f"{ENV_VARIABLE} ({path})")


def conversion(destinations: Destinations, chain: str, snapshot_decimals: int | None) -> Conversion | None:
    """How ``chain``'s claim amounts follow from a snapshot's: None when nothing is configured for it.

    Raises ``UnprocessableError`` for a configured chain and a snapshot without decimals.
    """
    destination = destinations.get(chain)  # type: ignore[call-overload]
    if destination is None:
        return None
    if snapshot_decimals is None:
        raise UnprocessableError(f"the {chain} destination converts amounts but the snapshot declares no "
                                 "decimals; rebuild it with `portal snapshot build --decimals N`",
                                 field="destination_chain")
    return Conversion(snapshot_decimals, destination.decimals, destination.parsed_ratio)
