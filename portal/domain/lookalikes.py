"""The lookalike log: hosts the checker called lookalikes, counted, then confirmed or dismissed by staff.

What is kept is the host and the checker's reasons for the bare host (``https://<host>/``), never the
URL, its path or query, the scanned text, or anything about the client: a sighting says only that
some link went there. Recording is its own short transaction after the check; a staff decision and
its audit event are one transaction. Confirmed hosts feed the blocklist exports (``links.export``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from policy.links import OfficialLinks, check_link, normalize_host
from policy.scan import ScanResult, browser_target
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.context import UseCaseContext
from portal.errors import NotFoundError
from portal.store import lookalikes as store
from portal.store.lookalikes import SeenLookalike, Sighting

MAX_HOST_CHARS = 253
MAX_WAITING = 10_000  # hosts waiting for staff ("new") before new ones stop being added (record_urls)
DISGUISED = "a link whose text named another host or claimed to be official"
Decision = Literal["confirm", "dismiss"]
_STATUS = {"confirm": "confirmed", "dismiss": "dismissed"}
_ACTION = {"confirm": AuditAction.LOOKALIKE_CONFIRMED, "dismiss": AuditAction.LOOKALIKE_DISMISSED}

__all__ = ["Decision", "SeenLookalike", "decide", "listing", "record_urls", "sightings", "urls_of_scan"]


def target_host(url: str) -> str | None:
    try:
        host = urlsplit(browser_target(url)).hostname
    except ValueError:
        return None
    host = normalize_host(host) if host else ""
    return host if 0 < len(host) <= MAX_HOST_CHARS else None


def sightings(urls: Iterable[str], official: OfficialLinks) -> list[Sighting]:
    """One sighting per host of the lookalike ``urls``, with reasons read from the bare host only."""
    counts = Counter(host for url in urls if (host := target_host(url)) is not None)
    found = []
    for host, times in sorted(counts.items()):
        verdict = check_link(f"https://{host}/", official)
        if verdict.verdict == "official":
            continue  # a trick aimed at an official host (http, a port): the host is not the scam
        reasons = verdict.reasons if verdict.verdict == "lookalike" else [DISGUISED]
        found.append(Sighting(host=host, times=times, reasons=reasons[:8], matched=verdict.matched))
    return found


def urls_of_scan(result: ScanResult) -> list[str]:
    return [link.url for link in result.links if link.verdict == "lookalike"]


async def record_urls(ctx: UseCaseContext, urls: list[str], official: OfficialLinks) -> None:
    """Count the lookalikes among ``urls``. Anyone may check a link, unauthenticated and by GET, so new
    hosts stop being added once ``MAX_WAITING`` wait for staff (hosts already in the log keep counting):
    a flood of made-up hostnames fills a bounded log, not the database."""
    seen = sightings(urls, official)
    if seen:
        async with ctx.db.transaction() as conn:
            await store.record_seen(conn, seen, ctx.now(), MAX_WAITING)


async def listing(ctx: UseCaseContext, status: str | None, limit: int) -> list[SeenLookalike]:
    """The log, most seen first (what the console shows)."""
    async with ctx.db.transaction() as conn:
        return await store.list_seen(conn, status, limit)


async def decide(ctx: UseCaseContext, host: str, decision: Decision, actor: str, client: str | None,
                 audit_data: dict[str, str] | None = None) -> SeenLookalike:
    now = ctx.now()
    async with ctx.db.transaction() as conn:
        decided = await store.decide(conn, normalize_host(host), _STATUS[decision], actor, now)
        if decided is None:
            raise NotFoundError(f"no lookalike {host!r} has been seen", field="host")
        await record(conn, AuditEntry(_ACTION[decision], at=now, actor=actor, subject=f"lookalike:{decided.host}",
                                      data={"seen_count": decided.seen_count, **(audit_data or {})},
                                      client=client))
    return decided
