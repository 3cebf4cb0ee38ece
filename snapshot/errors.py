"""The snapshot library's errors: one base class, one subclass per origin.

Callers catch ``SnapshotError`` to handle anything this library refuses; the subclasses say whose
fault it is (an address a person typed, a holder list, an artifact file on disk).
"""

from __future__ import annotations

from collections.abc import Sequence

#: How many problems a ``HolderListError`` keeps; the rest are only counted.
MAX_REPORTED_PROBLEMS = 100


class SnapshotError(Exception):
    """Base of every error this library raises on purpose."""


class InvalidAddressError(SnapshotError):
    """An address that is neither a well-formed EVM address nor a Solana public key.

    ``code`` is stable for machines (``invalid_address`` or ``invalid_checksum``); ``str(e)`` is the
    reason, written for the person who typed the address.
    """

    def __init__(self, reason: str, *, code: str = "invalid_address") -> None:
        super().__init__(reason)
        self.code = code


class HolderListError(SnapshotError):
    """A holder list refused as a whole.

    ``problems`` holds ``(line number, reason)`` pairs in line order, at most
    ``MAX_REPORTED_PROBLEMS`` of them; ``total_problems`` counts all that were found.
    """

    def __init__(self, problems: Sequence[tuple[int, str]], *, total_problems: int | None = None) -> None:
        self.problems = list(problems[:MAX_REPORTED_PROBLEMS])
        self.total_problems = len(problems) if total_problems is None else total_problems
        more = self.total_problems - len(self.problems)
        summary = f"{self.total_problems} bad row(s) in the holder list"
        if self.problems:
            line, reason = self.problems[0]
            summary += f"; first: line {line}: {reason}"
        if more > 0:
            summary += f" ({more} not listed)"
        super().__init__(summary)


class ArtifactError(SnapshotError):
    """A snapshot artifact that cannot be read or fails verification; the message names what is wrong."""


class ChainError(SnapshotError):
    """A node that cannot be reached, answers garbage, or holds state that refutes the snapshot being built
    (another chain, a balance that does not match the replayed logs); the message names what and where."""
