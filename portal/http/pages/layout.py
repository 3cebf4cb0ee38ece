"""The one way a page is rendered (``render_page``), and the banner every page shows.

Every page is a template given two names: ``layout`` (the signed banner, and the layout around the
page already rendered for it: ``portal.http.fast.page_cache``) and ``page`` (one Struct for that
page, ``portal.http.pages.view_models``). ``render_page`` builds that context once, in one place,
and sends it one of three ways:

- by default as Litestar's ``Template`` (headers, cookies, extra context such as the console's
  ``user``, and Litestar's ``csrf_input``);
- ``hot="render"``: rendered now, straight from the environment, into an ``HtmlPage`` (no cookies,
  no extra headers), and with ``keep_as`` kept in the banner's bounded LRU of answers;
- ``hot="keep"``: the same for every visitor while the banner stays: rendered once per banner.

The banner is read from the signed policy by a lifespan task every ``PORTAL_BANNER_TTL_SECONDS``: a
page view costs no query and no Markdown parse, and a newly published policy shows within seconds.
Banners are compared by value, so a re-fetch of the same policy keeps what was rendered for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Literal, overload

import msgspec
from jinja2 import Environment
from litestar import Litestar
from litestar.datastructures import Cookie, State
from litestar.response import Template

from portal.domain import official
from portal.domain.official import OfficialBanner
from portal.errors import PortalError
from portal.http.background import running
from portal.http.fast.html_page import HtmlPage
from portal.http.fast.page_cache import Layout, RenderedBanner, shows_errors
from portal.runtime import Runtime

__all__ = ["BannerCache", "banner_refresher", "current_banner", "kept_answer", "layout", "render_page", "shows_errors"]

logger = logging.getLogger(__name__)

TEMPLATES_STATE_KEY = "templates"
BANNER_STATE_KEY = "page_banner"
UNPUBLISHED = OfficialBanner(published=False, policy_url="/policy")


class BannerCache:
    """The current ``RenderedBanner``, replaced by ``refresh`` when the signed policy's banner changes.

    Requests only read it (``current``); a lifespan task (``banner_refresher``) refreshes it every
    ``PORTAL_BANNER_TTL_SECONDS``, so no page view waits on the database or parses the policy."""

    def __init__(self, templates: Environment, page_cache_entries: int, request_page_entries: int = 0) -> None:
        self._templates = templates
        self._page_cache_entries = page_cache_entries
        self._request_page_entries = request_page_entries
        self.current = self.rendered(UNPUBLISHED)

    def rendered(self, banner: OfficialBanner) -> RenderedBanner:
        return RenderedBanner(banner, self._templates, self._page_cache_entries, self._request_page_entries)

    async def refresh(self, runtime: Runtime) -> None:
        async with runtime.db.transaction() as conn:
            banner = await official.banner(conn, runtime.clock())
        if self.current.banner != banner:
            self.current = self.rendered(banner)


@contextlib.asynccontextmanager
async def banner_refresher(app: Litestar) -> AsyncIterator[None]:
    """A lifespan entered after the one that builds ``app.state.runtime``: the first banner is read
    before the app serves, then again every ``PORTAL_BANNER_TTL_SECONDS``. A failed read keeps the
    banner it had (before the first success: "no signed policy yet", which tells holders to trust nothing)."""
    runtime: Runtime = app.state.runtime
    cache = app.state[BANNER_STATE_KEY] = BannerCache(templates_of(app.state), runtime.settings.page_cache_entries,
                                                      runtime.settings.holder_cache_entries)
    ttl = runtime.settings.banner_ttl_seconds

    async def refresh() -> None:
        try:
            await cache.refresh(runtime)
        except PortalError as exc:  # the database is down: /ready says so; the banner stays as it was
            logger.warning("page banner not refreshed, keeping the last one: %s", exc.detail)
        except Exception:  # anything else is a bug, said loudly; the loop must still go on
            logger.exception("page banner not refreshed, keeping the last one")

    async def refresh_forever() -> None:
        while True:
            await asyncio.sleep(ttl)
            await refresh()

    await refresh()
    async with running(refresh_forever(), "portal-page-banner"):
        yield


def templates_of(state: State) -> Environment:
    return state[TEMPLATES_STATE_KEY]


def current_banner(state: State) -> RenderedBanner:
    return state[BANNER_STATE_KEY].current


def layout(state: State, title: str, *, scripts: tuple[str, ...] = (), failed: bool = False) -> Layout:
    """The layout a page on the current banner sees (for callers that build their own response)."""
    return current_banner(state).layout(title, scripts, failed=failed)


def kept_answer(state: State, key: str) -> HtmlPage | None:
    """The answer page kept under ``key`` (``render_page(..., keep_as=key)``) for the current banner."""
    body = current_banner(state).answers.get(key)
    return None if body is None else HtmlPage(body)


@overload
def render_page(state: State, template: str, title: str, page: msgspec.Struct | None = None, *,
                scripts: tuple[str, ...] = (), status_code: int = 200, headers: Mapping[str, str] | None = None,
                cookies: list[Cookie] | None = None, context: Mapping[str, object] | None = None,
                hot: None = None) -> Template: ...


@overload
def render_page(state: State, template: str, title: str, page: msgspec.Struct | None = None, *,
                scripts: tuple[str, ...] = (), status_code: int = 200, hot: Literal["render", "keep"],
                keep_as: str | None = None) -> HtmlPage: ...


def render_page(state: State, template: str, title: str, page: msgspec.Struct | None = None, *,
                scripts: tuple[str, ...] = (), status_code: int = 200, headers: Mapping[str, str] | None = None,
                cookies: list[Cookie] | None = None, context: Mapping[str, object] | None = None,
                hot: Literal["render", "keep"] | None = None, keep_as: str | None = None) -> Template | HtmlPage:
    """``template`` with ``layout`` and ``page`` (and ``context``, for the console's ``user``), the
    title starting "Error:" when ``page`` shows form errors. ``hot`` sends it as an ``HtmlPage``:
    ``"render"`` renders it now (and keeps it under ``keep_as`` in the banner's LRU of answers),
    ``"keep"`` once per banner (``page`` is then part of the key: only values from a small fixed set)."""
    current = current_banner(state)
    if hot == "keep":
        return HtmlPage(current.constant(template, title, page))  # type: ignore[arg-type]
    if hot == "render":
        body = current.render(template, title, page, scripts)
        if keep_as is not None:
            current.answers.put(keep_as, body)
        return HtmlPage(body, status_code)
    page_context = {"layout": current.layout(title, scripts, failed=shows_errors(page)), "page": page}
    return Template(template_name=template, status_code=status_code, headers=dict(headers) if headers else None,
                    cookies=cookies, context=page_context | dict(context) if context else page_context)
