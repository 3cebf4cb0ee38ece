"""``portal staff add|list|revoke``: staff API keys (each creation and revocation is audited).

``add`` prints ``{name, role, token}`` once; only the token's sha256 is stored, so a lost token is
revoked and replaced, never recovered. The audit actor of these commands is ``cli:<OS user>``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass

from portal.cli.db import database_url
from portal.cli.output import print_json, say
from portal.domain import audit, staff
from portal.domain.context import utc_now
from portal.errors import PortalError
from portal.settings import from_env
from portal.store.database import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("staff", help="staff API keys")
    commands = parser.add_subparsers(dest="staff_command", required=True, metavar="SUBCOMMAND")
    add = commands.add_parser("add", help="create a key and print its token once")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=staff.ROLES)
    add.set_defaults(func=run_add)
    listing = commands.add_parser("list", help="list keys (never their tokens)")
    listing.set_defaults(func=run_list)
    revoke = commands.add_parser("revoke", help="revoke a key; it stops working at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=run_revoke)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _run(work) -> int:  # type: ignore[no-untyped-def]
    settings = from_env()

    async def with_database(url: str) -> object:
        db = await Database.open(url, size=1, audit_chain_key=audit.key_for(settings).chain_key)
        try:
            async with db.transaction() as conn:
                return await work(conn)
        finally:
            await db.close()

    with database_url(settings.data_dir, settings.database_url) as url:
        try:
            result = asyncio.run(with_database(url))
        except PortalError as exc:
            say(exc.detail)
            return 1 if exc.status >= 404 else 2
    print_json(result)
    return 0


def run_add(args: argparse.Namespace) -> int:
    return _run(lambda conn: staff.create_key(conn, name=args.name, role=args.role, actor=cli_actor(),
                                              at=utc_now()))


def run_list(args: argparse.Namespace) -> int:
    return _run(staff.list_keys)


def run_revoke(args: argparse.Namespace) -> int:
    return _run(lambda conn: staff.revoke_key(conn, name=args.name, actor=cli_actor(), at=utc_now()))
