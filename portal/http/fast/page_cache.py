"""What is rendered once per signed banner instead of once per view: the layout, constant pages, answers.

The banner comes from the signed policy (``portal.domain.official``) and changes only with a new
policy version or its expiry, so what depends on it alone is rendered once per banner value: the
layout's head (per title, scripts and error state) and foot, the "support never" section every
page shows, whole pages that are the same for every visitor (``/``), the eligibility answers'
pages, which are fixed by the loaded snapshots (a bounded LRU, ``PORTAL_PAGE_CACHE_ENTRIES``, about
7 KB each), and holders' request pages, fixed by the request's version (another such LRU: each is
shown only after its status token is checked, and a page holding the token is never kept). A new
banner is a new ``RenderedBanner``: everything starts afresh.

``base.html`` is therefore not one template rendered per view but three pieces: ``layout_head.html``
and ``layout_foot.html`` rendered here once per banner, and the page's ``main`` block rendered per
view between them (``base.html`` says so). ``tests/unit/http/test_page_rendering.py`` holds the
kept pages and the direct ``HtmlPage`` to what Litestar's ``Template`` response renders.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import msgspec
from jinja2 import Environment
from markupsafe import Markup

from portal.domain.official import OfficialBanner

MAX_CACHED_SHELLS = 256


class Layout(msgspec.Struct, frozen=True):
    """What ``base.html`` and the pages see of the layout: the signed banner, and the layout's head
    (title, scripts, banner) and foot and the "support never" section, already rendered."""

    banner: OfficialBanner
    head_html: str
    foot_html: str
    never_rules_html: str


def shows_errors(page_data: object) -> bool:
    """Whether the page shows form errors (its title then starts with "Error:")."""
    return bool(getattr(page_data, "errors", ()))


class PageCache:
    """A bounded LRU of rendered pages (UTF-8 bytes) by key; capacity 0 keeps nothing."""

    __slots__ = ("_capacity", "_pages")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        body = self._pages.get(key)
        if body is not None:
            self._pages.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
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
    error state), its foot, the "support never" section, constant pages' bytes (``pages``), the
    eligibility answers' pages (``answers``) and holders' request pages by request version
    (``requests``: ``portal.http.pages.status``).

    Titles come from code and from the signed policy, so the head cache stays small; it is bounded
    anyway, and past the bound a head is rendered for the one view."""

    __slots__ = ("_banner_html", "_heads", "_templates", "answers", "banner", "foot_html", "never_rules_html",
                 "pages", "requests")

    def __init__(self, banner: OfficialBanner, templates: Environment, page_cache_entries: int = 0,
                 request_page_entries: int = 0) -> None:
        self.banner = banner
        self._templates = templates
        self._banner_html = self._render("banner.html", banner=banner)
        self.foot_html = self._render("layout_foot.html", banner=banner)
        self.never_rules_html = self._render("never_rules.html", banner=banner)
        self._heads: dict[tuple[str, tuple[str, ...], bool], Markup] = {}
        self.pages: dict[tuple[str, str, msgspec.Struct], bytes] = {}
        self.answers = PageCache(page_cache_entries)
        self.requests = PageCache(request_page_entries)

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

    def render(self, template: str, title: str, page_data: msgspec.Struct | None,
               scripts: tuple[str, ...] = ()) -> bytes:
        """``template`` on this banner's layout, as the bytes an ``HtmlPage`` sends."""
        context = {"layout": self.layout(title, scripts, failed=shows_errors(page_data)), "page": page_data}
        return self._templates.get_template(template).render(context).encode()

    def constant(self, template: str, title: str, page_data: msgspec.Struct) -> bytes:
        """A page the same for every visitor while the banner stays: rendered once, then kept
        (``page_data`` is part of the key, so only pass values from a small fixed set)."""
        key = (template, title, page_data)
        body = self.pages.get(key)
        if body is None:
            body = self.pages[key] = self.render(template, title, page_data)
        return body
