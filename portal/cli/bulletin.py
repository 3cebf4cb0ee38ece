"""``portal bulletin new``: the next signed security bulletin, drafted from the deployment's database.

It writes the document (``--format document``, the default) that maintainers then sign and publish
exactly like a policy version::

    portal bulletin new --scam "Fake 'support ticket' bots in #help" --out bulletin.md
    portal policy sign bulletin.md --keystore key1.json      # each signer of the trust root
    portal policy publish bulletin.md --url https://portal.example.org

``--format discord`` prints the same text as one Discord announcement (≤ 2000 characters), ready to
paste. The lookalikes listed are those staff confirmed since the previous bulletin was published.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from policy.bulletin import BULLETIN_SLUG, DEFAULT_DAYS, discord_of
from policy.document import parse_document
from portal.cli.db import database_url
from portal.cli.output import fail
from portal.cli.passphrase import CliError
from portal.cli.policy_verify import now_from
from portal.settings import from_env
from portal.store.database import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bulletin", help="the signed weekly security bulletin")
    commands = parser.add_subparsers(dest="bulletin_command", required=True, metavar="SUBCOMMAND")
    new = commands.add_parser("new", help="draft the next bulletin (then sign and publish it as a policy)")
    new.add_argument("--scam", action="append", default=[], metavar="TEXT",
                     help="one line on a scam going around this week (repeatable)")
    new.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"in force for this many days ({DEFAULT_DAYS})")
    new.add_argument("--format", choices=("document", "discord"), default="document")
    new.add_argument("--now", help="the bulletin's effective time (default: now), e.g. 2026-12-07T09:00:00Z")
    new.add_argument("--out", type=Path, help="write here instead of stdout")
    new.set_defaults(func=run_new)


async def _draft(url: str, public_url: str, args: argparse.Namespace) -> str:
    from portal.domain import bulletins

    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await bulletins.draft(conn, public_url, now_from(args.now), tuple(args.scam), args.days)
    finally:
        await db.close()


def run_new(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 31:
        return fail("--days: 1 to 31", 2)
    settings = from_env()
    try:
        with database_url(settings.data_dir, settings.database_url) as url:
            text = asyncio.run(_draft(url, settings.public_url, args))
    except (ValueError, CliError) as exc:
        return fail(str(exc), 2)
    if args.format == "discord":
        text = discord_of(parse_document(text.encode()), f"{settings.public_url.rstrip('/')}/policy/{BULLETIN_SLUG}")
        text += "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
