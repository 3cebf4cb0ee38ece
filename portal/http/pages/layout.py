"""What the base layout needs on every page, and the ``page()`` helper handlers return.

The banner comes from the signed policy through ``portal.domain.official`` and is cached for
``BANNER_TTL_SECONDS`` per app: a page view costs no query and no Markdown parse, and a newly
published policy shows within seconds.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
from litestar.datastructures import State
from litestar.response import Template

from portal.domain import official
from portal.domain.official import OfficialBanner
from portal.services import Services

BANNER_TTL_SECONDS = 5.0


class Layout(msgspec.Struct, frozen=True):
    """The base layout's inputs: the page title, the signed banner, the scripts the page loads."""

    title: str
    banner: OfficialBanner
    scripts: tuple[str, ...] = ()


class BannerCache:
    def __init__(self) -> None:
        self._value: OfficialBanner | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def peek(self) -> OfficialBanner | None:
        """The last banner fetched, without a query (for synchronous exception handlers)."""
        return self._value

    async def get(self, services: Services) -> OfficialBanner:
        if self._value is not None and time.monotonic() - self._fetched_at < BANNER_TTL_SECONDS:
            return self._value
        async with self._lock:
            if self._value is None or time.monotonic() - self._fetched_at >= BANNER_TTL_SECONDS:
                async with services.db.transaction() as conn:
                    self._value = await official.banner(conn, services.clock())
                self._fetched_at = time.monotonic()
        return self._value


async def layout(state: State, title: str, *, scripts: tuple[str, ...] = ()) -> Layout:
    cache = state.get("page_banner_cache")
    if cache is None:
        cache = state["page_banner_cache"] = BannerCache()
    return Layout(title=title, banner=await cache.get(state.services), scripts=scripts)


def cached_layout(state: State, title: str) -> Layout:
    """``layout`` without awaiting: the cached banner, or an unpublished one before the first fetch."""
    cache = state.get("page_banner_cache")
    banner = cache.peek() if cache is not None else None
    return Layout(title=title, banner=banner or OfficialBanner(published=False, policy_url="/policy"))


async def page(state: State, template: str, title: str, page_data: msgspec.Struct | None = None, *,
               scripts: tuple[str, ...] = (), status_code: int = 200) -> Template:
    """Render ``template`` with ``layout`` and ``page``: the only two names a template sees."""
    return Template(template_name=template, status_code=status_code,
                    context={"layout": await layout(state, title, scripts=scripts), "page": page_data})
