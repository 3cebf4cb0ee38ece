"""What the base layout needs on every page, and the helpers handlers return pages with.

The banner comes from the signed policy through ``portal.domain.official``, read again every
``BANNER_TTL_SECONDS`` by a lifespan task: a page view costs no query and no Markdown parse, and a
newly published policy shows within seconds. What depends on the banner alone is rendered once per
banner, not once per view: the layout's head and foot and the "support never" section every page
shows, and whole pages that are the same for every visitor (``/``). Eligibility answers are fixed
by the loaded snapshots, so their pages are kept too, in a bounded LRU (``PORTAL_PAGE_CACHE_ENTRIES``,
about 7 KB each). A new banner (a new policy version, or expiry) starts all of it afresh; banners
are compared by value, so a re-fetch of the same policy keeps them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator

import msgspec
from jinja2 import Environment
from litestar import Litestar
from litestar.datastructures import State
from litestar.response import Template
from markupsafe import Markup

from portal.domain import official
from portal.domain.official import OfficialBanner
from portal.errors import PortalError
from portal.http.background import running
from portal.http.html_page import HtmlPage
from portal.runtime import Runtime

logger = logging.getLogger(__name__)

BANNER_TTL_SECONDS = 5.0
TEMPLATES_STATE_KEY = "templates"
BANNER_STATE_KEY = "page_banner"
UNPUBLISHED = OfficialBanner(published=False, policy_url="/policy")
MAX_CACHED_SHELLS = 256


class Layout(msgspec.Struct, frozen=True):
    """What ``base.html`` and the pages see of the layout: the signed banner, and the layout's head
    (title, scripts, banner) and foot and the "support never" section, already rendered."""

    banner: OfficialBanner
    head_html: str
    foot_html: str
    never_rules_html: str


class PageCache:
    """A bounded LRU of rendered pages (UTF-8 bytes) by key; capacity 0 keeps nothing."""

    __slots__ = ("_capacity", "_pages")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._pages: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        body = self._pages.get(key)
        if body is not None:
            self._pages.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if self._capacity == 0:
            return
        self._pages[key] = body
        self._pages.move_to_end(key)
        if len(self._pages) > self._capacity:
            self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


class RenderedBanner:
    """One banner value with what is rendered from it alone: the layout's head per (title, scripts,
    error state), its foot, the "support never" section, constant pages' bytes (``pages``) and the
    eligibility answers' pages (``answers``).

    Titles come from code and from the signed policy, so the head cache stays small; it is bounded
    anyway, and past the bound a head is rendered for the one view."""

    __slots__ = ("_banner_html", "_heads", "_templates", "answers", "banner", "foot_html", "never_rules_html",
                 "pages")

    def __init__(self, banner: OfficialBanner, templates: Environment, page_cache_entries: int = 0) -> None:
        self.banner = banner
        self._templates = templates
        self._banner_html = self._render("banner.html", banner=banner)
        self.foot_html = self._render("layout_foot.html", banner=banner)
        self.never_rules_html = self._render("never_rules.html", banner=banner)
        self._heads: dict[tuple[str, tuple[str, ...], bool], Markup] = {}
        self.pages: dict[tuple[str, str, msgspec.Struct], bytes] = {}
        self.answers = PageCache(page_cache_entries)

    def _render(self, template: str, **context: object) -> Markup:
        # The templates are autoescaped: their output is markup, not text to escape again.
        return Markup(self._templates.get_template(template).render(context))  # noqa: S704

    def _head(self, title: str, scripts: tuple[str, ...], failed: bool) -> Markup:
        key = (title, scripts, failed)
        head = self._heads.get(key)
        if head is None:
            head = self._render("layout_head.html", title=title, scripts=scripts, failed=failed,
                                banner_html=self._banner_html)
            if len(self._heads) < MAX_CACHED_SHELLS:
                self._heads[key] = head
        return head

    def layout(self, title: str, scripts: tuple[str, ...] = (), *, failed: bool = False) -> Layout:
        return Layout(banner=self.banner, head_html=self._head(title, scripts, failed),
                      foot_html=self.foot_html, never_rules_html=self.never_rules_html)

    def render(self, template: str, title: str, page_data: msgspec.Struct | None) -> bytes:
        """``template`` on this banner's layout, as the bytes an ``HtmlPage`` sends."""
        context = {"layout": self.layout(title, failed=shows_errors(page_data)), "page": page_data}
        return self._templates.get_template(template).render(context).encode()


class BannerCache:
    """The current ``RenderedBanner``, replaced by ``refresh`` when the signed policy's banner changes.

    Requests only read it (``current``); a lifespan task (``banner_refresher``) refreshes it every
    ``BANNER_TTL_SECONDS``, so no page view waits on the database or parses the policy."""

    def __init__(self, templates: Environment, page_cache_entries: int) -> None:
        self._templates = templates
        self._page_cache_entries = page_cache_entries
        self.current = self.rendered(UNPUBLISHED)

    def rendered(self, banner: OfficialBanner) -> RenderedBanner:
        return RenderedBanner(banner, self._templates, self._page_cache_entries)

    async def refresh(self, runtime: Runtime) -> None:
        async with runtime.db.transaction() as conn:
            banner = await official.banner(conn, runtime.clock())
        if self.current.banner != banner:
            self.current = self.rendered(banner)


@contextlib.asynccontextmanager
async def banner_refresher(app: Litestar) -> AsyncIterator[None]:
    """A lifespan entered after the one that builds ``app.state.runtime``: the first banner is read
    before the app serves, then again every ``BANNER_TTL_SECONDS``. A failed read keeps the banner
    it had (before the first success: "no signed policy yet", which tells holders to trust nothing)."""
    runtime: Runtime = app.state.runtime
    cache = app.state[BANNER_STATE_KEY] = BannerCache(templates_of(app.state), runtime.settings.page_cache_entries)

    async def refresh() -> None:
        try:
            await cache.refresh(runtime)
        except PortalError as exc:  # the database is down: /ready says so; the banner stays as it was
            logger.warning("page banner not refreshed, keeping the last one: %s", exc.detail)
        except Exception:  # anything else is a bug, said loudly; the loop must still go on
            logger.exception("page banner not refreshed, keeping the last one")

    async def refresh_forever() -> None:
        while True:
            await asyncio.sleep(BANNER_TTL_SECONDS)
            await refresh()

    await refresh()
    async with running(refresh_forever(), "portal-page-banner"):
        yield


def templates_of(state: State) -> Environment:
    return state[TEMPLATES_STATE_KEY]


def current_banner(state: State) -> RenderedBanner:
    return state[BANNER_STATE_KEY].current


def shows_errors(page_data: object) -> bool:
    """Whether the page shows form errors (its title then starts with "Error:")."""
    return bool(getattr(page_data, "errors", ()))


def layout(state: State, title: str, *, scripts: tuple[str, ...] = (), failed: bool = False) -> Layout:
    return current_banner(state).layout(title, scripts, failed=failed)


async def page(state: State, template: str, title: str, page_data: msgspec.Struct | None = None, *,
               scripts: tuple[str, ...] = (), status_code: int = 200) -> Template:
    """Render ``template`` with ``layout`` and ``page``: the only two names a template sees."""
    return Template(template_name=template, status_code=status_code,
                    context={"layout": layout(state, title, scripts=scripts, failed=shows_errors(page_data)),
                             "page": page_data})


def html_page(state: State, template: str, title: str, page_data: msgspec.Struct | None = None, *,
              status_code: int = 200) -> HtmlPage:
    """``page`` for the hot GET pages: the same template and context, rendered straight from the
    environment into an ``HtmlPage`` (no cookies, no extra headers)."""
    return HtmlPage(current_banner(state).render(template, title, page_data), status_code)


def constant_page(state: State, template: str, title: str, page_data: msgspec.Struct) -> HtmlPage:
    """A page the same for every visitor while the banner stays the same: rendered once per banner
    (``page_data`` is part of the key, so only pass values from a small fixed set)."""
    current = current_banner(state)
    key = (template, title, page_data)
    body = current.pages.get(key)
    if body is None:
        body = current.pages[key] = current.render(template, title, page_data)
    return HtmlPage(body)
