"""Passphrases for key files, and the one-line error the CLI prints when it cannot get one.

From ``PORTAL_KEY_PASSPHRASE``, else a prompt on a terminal. With neither (a pipe, CI, cron)
the command stops with one line naming the variable, never an ``EOFError`` traceback.
"""

from __future__ import annotations

import getpass
import os
import sys

PASSPHRASE_ENV = "PORTAL_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


class CliError(Exception):
    """A one-line failure: ``str(exc)`` is printed after ``portal:``; ``exit_code`` is returned."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def passphrase(confirm: bool) -> str:
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        raise CliError(f"no terminal to ask for the key passphrase: set {PASSPHRASE_ENV}")
    try:
        first = getpass.getpass("key passphrase: ")
        if confirm and getpass.getpass("again: ") != first:
            raise CliError("the passphrases differ")
    except EOFError:
        raise CliError(f"no passphrase given: set {PASSPHRASE_ENV} or type one") from None
    if not first:
        raise CliError("empty passphrase")
    return first
