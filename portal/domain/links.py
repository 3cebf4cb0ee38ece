"""Link checking against the signed main policy: one URL, every URL in a text, the rules everywhere.

The official links are those of the main policy (``policies.main_document``: ``official`` when
published). Each use case reads them in a short transaction of its own and checks outside it, so a
scan of a long text never holds a pooled connection. Every lookalike a check or scan finds is
counted in the lookalike log (``lookalikes``), by host only. Before any policy is published a URL
is ``unknown``, a scan finds nothing official, and there are no rules (404).
"""

from __future__ import annotations

import asyncio

from policy.discord_automod import AutomodOptions
from policy.document import PolicyDocument
from policy.link_exports import bot_rules, export
from policy.link_rules import LinkRules, build_rules
from policy.links import LinkVerdict, OfficialLinks, check_link, official_links
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


async def _read(conn: Connection) -> tuple[PolicyDocument, list[str]]:
    main = await policies.main_document(conn)
    if main is None:
        raise NotFoundError(NO_POLICY)
    return main, await lookalike_store.confirmed_hosts(conn)


async def _model(main: PolicyDocument, seen: list[str], public_url: str) -> tuple[LinkRules, OfficialLinks]:
    links = official_links(main)
    url = f"{public_url.rstrip('/')}/policy/{main.slug}"
    rules = await asyncio.to_thread(build_rules, links, policy=(main.slug, main.version), policy_url=url, seen=seen)
    return rules, links


async def rules_in(conn: Connection, public_url: str) -> tuple[LinkRules, OfficialLinks]:
    """The rule model of the main policy with the lookalikes staff confirmed, read in the caller's
    transaction (the CLI's)."""
    return await _model(*await _read(conn), public_url)


async def export_rules_as(ctx: UseCaseContext, fmt: str, options: AutomodOptions) -> bytes:
    """The rules in ``fmt`` (``policy.link_exports.EXPORT_FORMATS``), read in a short transaction and
    built outside it; a bad Discord option is a 400 naming it."""
    async with ctx.db.transaction() as conn:
        main, seen = await _read(conn)
    if fmt == "json":  # the bots' rules need no lookalike list
        return bot_rules(official_links(main))
    rules, links = await _model(main, seen, ctx.settings.public_url)
    try:
        return export(rules, links, fmt, options)
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise InvalidInputError(str(exc), field=field) from None
