"""Link checking against the signed main policy: one URL, every URL in a text, the rules everywhere.

The official links are those of the main policy (``policies.main_document``: ``official`` when
published). Each use case reads them in a short transaction of its own and checks outside it, so a
scan of a long text never holds a pooled connection. Every lookalike a check or scan finds is
counted in the lookalike log (``lookalikes``), by host only. Before any policy is published a URL
is ``unknown``, a scan finds nothing official, and there are no rules (404).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from policy.discord_automod import AutomodOptions
from policy.document import PolicyDocument
from policy.link_exports import export
from policy.link_rules import LinkRules, build_rules
from policy.links import LinkVerdict, OfficialLinks, check_link, export_rules, official_links
from policy.scan import ScanResult, scan_text
from portal.domain import lookalikes, policies
from portal.domain.context import UseCaseContext
from portal.errors import InvalidInputError, NotFoundError
from portal.store import lookalikes as lookalike_store
from portal.store.database import Connection

_NOTHING_OFFICIAL = OfficialLinks(hosts=(), registrable=(), names=())
NO_POLICY = "no official policy is published yet, so there are no link rules"


async def official(ctx: UseCaseContext) -> OfficialLinks | None:
    """The main policy's links, or ``None`` before anything is published."""
    async with ctx.db.transaction() as conn:
        main = await policies.main_document(conn)
    return official_links(main) if main else None


async def check_url(ctx: UseCaseContext, url: str) -> LinkVerdict:
    links = await official(ctx)
    if links is None:
        return LinkVerdict(verdict="unknown", matched=None, reasons=["no official policy is published yet"])
    verdict = check_link(url, links)
    if verdict.verdict == "lookalike":
        await lookalikes.record_urls(ctx, [url], links)
    return verdict


async def scan(ctx: UseCaseContext, text: str) -> ScanResult:
    links = await official(ctx)
    result = scan_text(text, links or _NOTHING_OFFICIAL)
    if links is not None and result.lookalikes:
        await lookalikes.record_urls(ctx, lookalikes.urls_of_scan(result), links)
    return result


async def link_rules(ctx: UseCaseContext) -> dict:
    """The version-2 chat-bot rules (``format=json``), as a dict for the JSON API."""
    links = await official(ctx)
    if links is None:
        raise NotFoundError(NO_POLICY)
    return export_rules(links)


async def _read(conn: Connection, since: dt.datetime | None) -> tuple[PolicyDocument, list[str]]:
    main = await policies.main_document(conn)
    if main is None:
        raise NotFoundError(NO_POLICY)
    return main, await lookalike_store.confirmed_hosts(conn, since)


async def _model(main: PolicyDocument, seen: list[str], public_url: str) -> tuple[LinkRules, OfficialLinks]:
    links = official_links(main)
    url = f"{public_url.rstrip('/')}/policy/{main.slug}"
    rules = await asyncio.to_thread(build_rules, links, policy=(main.slug, main.version), policy_url=url, seen=seen)
    return rules, links


async def rules_in(conn: Connection, public_url: str, since: dt.datetime | None = None
                   ) -> tuple[LinkRules, OfficialLinks]:
    """The rule model of the main policy with the lookalikes staff confirmed (after ``since``, if
    given), read in the caller's transaction (the CLI's)."""
    return await _model(*await _read(conn, since), public_url)


async def rules_model(ctx: UseCaseContext, since: dt.datetime | None = None) -> tuple[LinkRules, OfficialLinks]:
    """As ``rules_in``, reading in a short transaction of its own and building outside it."""
    async with ctx.db.transaction() as conn:
        main, seen = await _read(conn, since)
    return await _model(main, seen, ctx.settings.public_url)


async def export_rules_as(ctx: UseCaseContext, fmt: str, options: AutomodOptions) -> bytes:
    """The rules in ``fmt`` (``policy.link_exports.EXPORT_FORMATS``); a bad Discord option is a 400 naming it."""
    rules, links = await rules_model(ctx)
    try:
        return export(rules, links, fmt, options)
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise InvalidInputError(str(exc), field=field) from None
