"""Refusing holder form POSTs that another site sent: the defence of pages that set no cookie.

A scam page can auto-submit a form to ``/prove/challenge`` and land a holder on our own "Sign the
message" page with the scammer's destination filled in. The holder pages keep no session (no
cookie, so no CSRF token to tie a form to), so the browser's own word is the check: a POST is
refused unless ``Sec-Fetch-Site`` says ``same-origin`` (or ``none``: typed by the user), and, when
that header is absent (older browsers), unless ``Origin`` is this site's. A request with neither
header is not from a browser form (curl, a script): nothing to defend there, so it passes.
Ports count: another loopback port is another origin (``same-site`` is refused too).
"""

from __future__ import annotations

from litestar import Request
from litestar.response import Template

from portal.http.copy import journey as copy
from portal.http.pages.layout import render_page
from portal.http.pages.view_models import StopPage

ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


def _two_headers(request: Request) -> tuple[str | None, str | None]:
    """``Sec-Fetch-Site`` and ``Origin``, in one pass over the ASGI headers (lower-cased by the server, as
    ASGI requires): this runs on every holder POST, the hottest page's too, and building Litestar's
    ``Headers`` for it cost more than the rest of the check."""
    fetch_site = origin = None
    for name, value in request.scope["headers"]:
        if name == b"sec-fetch-site":
            fetch_site = value.decode("latin-1")
        elif name == b"origin":
            origin = value.decode("latin-1")
    return fetch_site, origin


def is_cross_site(request: Request) -> bool:
    """True when the browser says this POST came from a page of another origin."""
    fetch_site, origin = _two_headers(request)
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ALLOWED_FETCH_SITES
    if origin is None:
        return False
    ours = {_origin(str(request.base_url)), _origin(request.app.state.runtime.ctx.settings.public_url)}
    return origin.strip().lower() not in ours


async def refuse_cross_site(request: Request) -> Template | None:
    """``before_request`` of every holder form POST: a page in words (403) instead of the handler."""
    if not is_cross_site(request):
        return None
    page = StopPage(copy.CROSS_SITE_HEADING, copy.CROSS_SITE_TEXT, "/")
    return render_page(request.app.state, "stop.html", page.heading, page, status_code=403,
                       headers={"Cache-Control": "no-store"})
