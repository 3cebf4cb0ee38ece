"""Amounts and chains for people: one rule for holders and staff alike.

An amount is stored in the snapshot token's base units (an exact integer; DESIGN: no float). It is
shown in tokens with the decimals the request's snapshot manifest declares; only a snapshot that
declares none falls back to ``PORTAL_TOKEN_DECIMALS``; with neither it is shown in base units only.
A second rule here once let staff pages use the setting alone, so one amount read in tokens to the
holder and in base units (or wrong tokens) to the reviewer.
"""

from __future__ import annotations

import msgspec

from portal.domain.eligibility import SnapshotSet

CHAIN_LABELS = {"evm": "Ethereum", "solana": "Solana"}


class DisplayAmount(msgspec.Struct, frozen=True):
    """``base_units`` exactly; ``tokens`` (None without known decimals) with the ``decimals`` used."""

    base_units: str
    tokens: str | None
    decimals: int | None

    @property
    def text(self) -> str:
        """``"1,234.5 tokens (1234500000 base units)"``, or ``"1234500000 base units"``."""
        if self.tokens is None:
            return f"{self.base_units} base units"
        return f"{self.tokens} tokens ({self.base_units} base units)"


def decimals_of(manifest_decimals: int | None, fallback: int | None) -> int | None:
    """The decimals an amount of this snapshot is shown with: the manifest's, else the setting's."""
    return manifest_decimals if manifest_decimals is not None else fallback


def token_units(base_units: int, decimals: int) -> str:
    """``1234500000000000000000, 18`` -> ``"1,234.5"``: grouped whole part, fraction without trailing zeros."""
    whole, fraction = divmod(base_units, 10**decimals)
    text = f"{whole:,}"
    if fraction:
        text += "." + str(fraction).rjust(decimals, "0").rstrip("0")
    return text


def display_amount(manifest_decimals: int | None, base_units: int | str, *,
                   fallback: int | None = None) -> DisplayAmount:
    """``base_units`` of a snapshot whose manifest declares ``manifest_decimals``, for any reader."""
    amount = int(base_units)
    decimals = decimals_of(manifest_decimals, fallback)
    return DisplayAmount(str(amount), None if decimals is None else token_units(amount, decimals), decimals)


def chain_label(chain: str) -> str:
    """``evm`` -> ``Ethereum``; a chain this service does not name is shown as it is stored."""
    return CHAIN_LABELS.get(chain, chain)


def in_snapshot(snapshots: SnapshotSet, snapshot_id: str, base_units: int | str, *,
                fallback: int | None = None) -> DisplayAmount:
    """``base_units`` of a request on ``snapshot_id``, with that snapshot manifest's decimals (the
    setting ``fallback`` only when the manifest declares none or the snapshot is no longer served)."""
    manifest = next((m for m in snapshots.manifests if m.id == snapshot_id), None)
    return display_amount(manifest.decimals if manifest is not None else None, base_units, fallback=fallback)
