"""The ``portal`` command: thin wiring from arguments to the libraries and the domain.

stdout carries results (one JSON object, or the text asked for); errors go to stderr. Exit codes:
0 success, 1 a check failed (verification, corruption), 2 bad usage or bad settings.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Sequence

from portal.cli.output import say
from portal.errors import SettingsError
from portal.store.driver_errors import NoSchemaError, UnreachableError

# Each module adds its own subcommands through ``register(subparsers)``.
COMMAND_MODULES = ["serve", "db", "snapshot", "policy", "openapi", "staff", "audit", "allowlist", "release", "links",
                   "bulletin"]
#: Commands that open the deployment's database (and so must find the same data dir as ``serve``).
DATABASE_COMMANDS = frozenset({"db", "staff", "audit", "allowlist", "release", "links", "bulletin"})
NO_SCHEMA = ("the database has no tables yet: run `portal db migrate` first, or set PORTAL_DATA_DIR (or DATABASE_URL) "
             "to the one your `portal serve` uses (the demo's is .portal-demo)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="migration-portal service and tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"portal.cli.{name}").register(subparsers)
    return parser


def _find_demo_data_dir(command: str) -> None:
    """Beside ``portal serve --demo`` (and nothing else chosen), a database command uses the demo's data."""
    if command not in DATABASE_COMMANDS:
        return
    from portal.demo.guard import beside_demo
    from portal.settings import ENV

    if (found := beside_demo(os.environ)) is not None:
        os.environ[ENV["data_dir"]] = str(found)
        say(f"using the demo's data dir {found} (DEMO data); set PORTAL_DATA_DIR to use another")
        # the demo's token decimals (``portal serve --demo`` wrote them there), unless another file is chosen
        if not os.environ.get(ENV["destinations_file"]) and (found / "destinations.toml").is_file():
            os.environ[ENV["destinations_file"]] = str(found / "destinations.toml")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _find_demo_data_dir(args.command)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        say(f"bad setting {exc}")
        return 2
    except NoSchemaError:
        say(NO_SCHEMA)
        return 2
    except UnreachableError as exc:
        say(f"cannot reach the database ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
            "set DATABASE_URL, or PORTAL_DATA_DIR to the data dir of your `portal serve`")
        return 2
    except KeyboardInterrupt:
        return 130
