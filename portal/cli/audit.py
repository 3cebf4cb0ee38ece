"""``portal audit verify``: recompute the audit hash chain from the first event.

Exit 0 with ``{"ok": true, "events": N}``; exit 1 with ``{"ok": false, "events": N, "first_bad_seq": S,
"reason": ...}`` when an event was edited, removed or inserted (the trigger refuses that, but a
superuser can disable the trigger: the chain is what catches it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

import msgspec

from portal.cli.db import database_url
from portal.settings import from_env
from portal.store.audit import AuditEvent, first_broken, iter_all_sync


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the hash-chained audit log")
    commands = parser.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    verify = commands.add_parser("verify", help="recompute the hash chain; exit 1 naming the first bad seq")
    verify.set_defaults(func=run_verify)


def verify_url(url: str) -> dict[str, object]:
    counted = 0

    def counting(events: Iterator[AuditEvent]) -> Iterator[AuditEvent]:
        nonlocal counted
        for event in events:
            counted += 1
            yield event

    broken = first_broken(counting(iter_all_sync(url)))
    if broken is None:
        return {"ok": True, "events": counted}
    return {"ok": False, "events": counted, "first_bad_seq": broken[0], "reason": broken[1]}


def run_verify(args: argparse.Namespace) -> int:
    settings = from_env()
    with database_url(settings.data_dir, settings.database_url) as url:
        result = verify_url(url)
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    if not result["ok"]:
        print(f"portal: audit chain broken at seq {result['first_bad_seq']}: {result['reason']}", file=sys.stderr)
        return 1
    return 0
