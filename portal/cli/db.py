"""``portal db migrate``: apply the schema migrations (``serve`` does it too)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable

from portal.cli.output import print_json
from portal.settings import from_env
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    migrate_parser = db_commands.add_parser("migrate", help="apply pending schema migrations")
    migrate_parser.set_defaults(func=run_migrate)


@contextlib.contextmanager
def database_url(data_dir: str, configured: str | None, *, supervise: Callable[[str], None] | None = None):
    """The owner's URL: the configured server, or the embedded one under ``data_dir`` for as long as
    the block runs (restarted when it dies, if ``supervise`` is given: a logging function)."""
    if configured:
        yield configured
    else:
        with embedded_postgres(data_dir, supervise=supervise) as url:
            yield url


def run_migrate(args: argparse.Namespace) -> int:
    settings = from_env()
    with database_url(settings.data_dir, settings.database_url) as url:
        applied = migrate(url)
    print_json({"applied": applied})
    return 0
