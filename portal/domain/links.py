"""Link checking against the signed main policy: one URL, every URL in a text, the rules for bots.

The official links are those of the main policy (``policies.main_document``: ``official`` when
published). Each use case reads them in a short transaction of its own and checks outside it, so a
scan of a long text never holds a pooled connection. Before any policy is published a URL is
``unknown``, a scan finds nothing official, and there are no rules (404).
"""

from __future__ import annotations

from policy.links import LinkVerdict, OfficialLinks, check_link, export_rules, official_links
from policy.scan import ScanResult, scan_text
from portal.domain import policies
from portal.domain.context import UseCaseContext
from portal.errors import NotFoundError

_NOTHING_OFFICIAL = OfficialLinks(hosts=(), registrable=(), names=())


async def official(ctx: UseCaseContext) -> OfficialLinks | None:
    """The main policy's links, or ``None`` before anything is published."""
    async with ctx.db.transaction() as conn:
        main = await policies.main_document(conn)
    return official_links(main) if main else None


async def check_url(ctx: UseCaseContext, url: str) -> LinkVerdict:
    links = await official(ctx)
    if links is None:
        return LinkVerdict(verdict="unknown", matched=None, reasons=["no official policy is published yet"])
    return check_link(url, links)


async def scan(ctx: UseCaseContext, text: str) -> ScanResult:
    return scan_text(text, await official(ctx) or _NOTHING_OFFICIAL)


async def link_rules(ctx: UseCaseContext) -> dict:
    links = await official(ctx)
    if links is None:
        raise NotFoundError("no official policy is published yet, so there are no link rules")
    return export_rules(links)
