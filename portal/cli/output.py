"""How every ``portal`` command talks: results as one JSON line on stdout, everything else on stderr.

Why one module: scripts parse stdout, so a result is exactly one JSON document and a line end, and a
human reads stderr, where every line starts ``portal:`` so it is clear which program said it. Each
command used to keep its own copy of these few lines.
"""

from __future__ import annotations

import sys

import msgspec


def print_json(value: object) -> None:
    """The command's result: one line of JSON (msgspec encodes Structs, dicts, lists) on stdout."""
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def say(message: str) -> None:
    """A note or warning for the person at the terminal: one ``portal:`` line on stderr."""
    print(f"portal: {message}", file=sys.stderr)


def fail(message: str, code: int = 1) -> int:
    """Say why the command failed, on stderr, and return the exit code for ``main`` to return."""
    say(message)
    return code
