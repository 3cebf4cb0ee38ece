"""The ``portal`` command: thin wiring from arguments to the libraries and the domain.

stdout carries results (one JSON object, or the text asked for); errors go to stderr. Exit codes:
0 success, 1 a check failed (verification, corruption), 2 bad usage or bad settings.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from portal.cli.output import say
from portal.errors import SettingsError

# Each module adds its own subcommands through ``register(subparsers)``.
COMMAND_MODULES = ["serve", "db", "snapshot", "policy", "openapi", "staff", "audit", "allowlist", "release"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="migration-portal service and tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"portal.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        say(f"bad setting {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
