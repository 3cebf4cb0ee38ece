"""Load named SQL blocks from ``.sql`` files beside this module.

A file holds blocks introduced by a line ``-- name --``; each block is one statement with
``%(name)s`` parameters. Files are read once, at import of the module that asks for them.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import LiteralString, cast

_BLOCK_HEADER = re.compile(r"^-- ([a-z0-9_]+) --$", re.MULTILINE)


def load_queries(filename: str) -> dict[str, LiteralString]:
    """Return ``{name: sql}`` for every block of ``portal/store/sql/<filename>``."""
    text = resources.files("portal.store").joinpath("sql", filename).read_text(encoding="utf-8")
    parts = _BLOCK_HEADER.split(text)
    queries: dict[str, LiteralString] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"{filename}: query {name!r} defined twice")
        queries[name] = cast(LiteralString, body.strip())
    return queries
