"""The exclude list: addresses left out of a snapshot on purpose, each with a category and a note.

One address a line, ``address # category: note`` (``exchange``, ``treasury``, ``pool``, ``burn``,
``other``); blank lines and lines starting with ``#`` are comments. A comment whose first word is not
a category (a list written before categories) is kept whole as the note of category ``other``, so an
older list still reads. The entries land in the artifact's ``source.exclude_entries``, so the portal
can tell a holder whose address was left out why, from the artifact alone.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec

Category = Literal["exchange", "treasury", "pool", "burn", "other"]
CATEGORIES: tuple[Category, ...] = ("exchange", "treasury", "pool", "burn", "other")
MAX_NOTE_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FIRST_WORD = re.compile(r"([A-Za-z]+)\s*(?::|\s|$)\s*")


class ExcludeEntry(msgspec.Struct, frozen=True):
    """One left-out address (as written in the list; the caller canonicalises it)."""

    address: str
    category: Category
    note: str


def parse_line(line: str) -> tuple[str, Category, str] | None:
    """``(address text, category, note)`` of one line, or None for a blank or comment line.

    The address is not checked here (the caller parses it for its chain); the note is stripped of
    control characters and cut to ``MAX_NOTE_CHARS``.
    """
    text, _, comment = line.partition("#")
    address = text.strip()
    if not address:
        return None
    comment = _CONTROL.sub(" ", comment).strip()
    category: Category = "other"
    match = _FIRST_WORD.match(comment)
    if match and match.group(1).lower() in CATEGORIES:
        category = match.group(1).lower()  # type: ignore[assignment]
        comment = comment[match.end():]
    return address, category, comment.strip()[:MAX_NOTE_CHARS]


def entries_of(source: dict[str, Any] | None) -> list[ExcludeEntry]:
    """The entries an artifact's ``source`` records (none for a list built without them)."""
    recorded = (source or {}).get("exclude_entries") or []
    return msgspec.convert(recorded, list[ExcludeEntry])
