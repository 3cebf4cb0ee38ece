"""``portal links export --format F`` and ``portal links scan --file issue.md``.

``export`` writes what ``GET /v1/links/rules?format=F`` serves: the main published policy's rules with
the lookalikes staff confirmed, read from the deployment's database; or, with ``--policy DOC.md``,
from a policy document alone (offline: generated lookalikes, plus ``--seen FILE``, one host a line).
``--curl`` (discord-automod) prints a shell script of one ``curl`` per rule instead of the JSON.
``scan`` runs the scanner over a file (an issue export, a chat log): exit 1 when it finds a lookalike
link or a support-ticket imitation, so a maintainer's script can stop on it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from policy.discord_automod import LIMITS, AutomodOptions, automod_rules, curl_script
from policy.document import parse_document
from policy.errors import PolicyError
from policy.link_exports import EXPORT_FORMATS, export
from policy.link_rules import LinkRules, build_rules
from policy.links import OfficialLinks, official_links
from policy.scan import scan_text
from portal.cli.db import database_url
from portal.cli.output import fail, print_json
from portal.errors import PortalError
from portal.settings import from_env
from portal.store.database import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("links", help="link rules for Discord, wallets and blocklists; scan a text")
    commands = parser.add_subparsers(dest="links_command", required=True, metavar="SUBCOMMAND")
    out = commands.add_parser("export", help="the link rules in a consumer's format")
    out.add_argument("--format", choices=EXPORT_FORMATS, default="json")
    out.add_argument("--policy", type=Path, metavar="DOC", help="a policy document (offline; default: the database)")
    out.add_argument("--policy-url", help="the signed policy's page (with --policy; default https://<first "
                                          "official host>/policy/<slug>)")
    out.add_argument("--seen", type=Path, metavar="FILE", help="with --policy: confirmed lookalike hosts, one a line")
    out.add_argument("--alert-channel", metavar="ID", help="discord-automod: channel id for alerts")
    out.add_argument("--exempt-role", action="append", default=[], metavar="ID", help="discord-automod: repeatable")
    out.add_argument("--exempt-channel", action="append", default=[], metavar="ID", help="discord-automod: repeatable")
    out.add_argument("--timeout-seconds", type=int, help="discord-automod: add a TIMEOUT action of this length")
    out.add_argument("--keyword-rules", type=int, default=LIMITS["keyword_rules"],
                     help="discord-automod: at most this many of the guild's six KEYWORD rules (default 6)")
    out.add_argument("--curl", action="store_true", help="discord-automod: print the curl commands that create them")
    out.add_argument("--out", type=Path, help="write here instead of stdout")
    out.set_defaults(func=run_export)
    scan = commands.add_parser("scan", help="every link of a text file with its verdict, and support-ticket fakes")
    scan.add_argument("--file", type=Path, required=True, help="the text: an issue export, a chat message (- = stdin)")
    scan.add_argument("--policy", type=Path, metavar="DOC", help="a policy document (offline; default: the database)")
    scan.set_defaults(func=run_scan)


def _offline(args: argparse.Namespace) -> tuple[LinkRules, OfficialLinks]:
    doc = parse_document(args.policy.read_bytes())
    links = official_links(doc)
    first = urlsplit(doc.links[0].url) if doc.links else None
    url = args.policy_url or (f"{first.scheme}://{first.netloc}/policy/{doc.slug}" if first else "")
    seen = args.seen.read_text("utf-8").split() if args.seen else []
    return build_rules(links, policy=(doc.slug, doc.version), policy_url=url, seen=seen), links


async def _from_database(url: str, public_url: str) -> tuple[LinkRules, OfficialLinks]:
    from portal.domain import links

    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await links.rules_in(conn, public_url)
    finally:
        await db.close()


def _read_rules(args: argparse.Namespace) -> tuple[LinkRules, OfficialLinks]:
    if args.policy:
        return _offline(args)
    settings = from_env()
    with database_url(settings.data_dir, settings.database_url) as url:
        return asyncio.run(_from_database(url, settings.public_url))


def run_export(args: argparse.Namespace) -> int:
    options = AutomodOptions(alert_channel=args.alert_channel, exempt_roles=tuple(args.exempt_role),
                             exempt_channels=tuple(args.exempt_channel), timeout_seconds=args.timeout_seconds,
                             keyword_rules=args.keyword_rules)
    try:
        rules, links = _read_rules(args)
        if args.curl and args.format != "discord-automod":
            return fail("--curl goes with --format discord-automod", 2)
        body = curl_script(automod_rules(rules, options)).encode() if args.curl else export(rules, links, args.format,
                                                                                            options)
    except (PolicyError, OSError, ValueError) as exc:
        return fail(str(exc), 2)
    except PortalError as exc:
        return fail(exc.detail, 1)
    if args.out:
        args.out.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    return 0


async def _official_from_database(url: str) -> OfficialLinks:
    from portal.domain import policies

    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            main = await policies.main_document(conn)
    finally:
        await db.close()
    if main is None:
        raise PolicyError("no policy is published in this database: pass --policy DOC.md")
    return official_links(main)


def _official(args: argparse.Namespace) -> OfficialLinks:
    if args.policy:
        return official_links(parse_document(args.policy.read_bytes()))
    settings = from_env()
    with database_url(settings.data_dir, settings.database_url) as url:
        return asyncio.run(_official_from_database(url))


def run_scan(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text("utf-8")
        links = _official(args)
    except (PolicyError, OSError, UnicodeDecodeError) as exc:
        return fail(str(exc), 2)
    result = scan_text(text, links)
    print_json(msgspec.to_builtins(result))
    return 1 if result.lookalikes or result.impersonation else 0
