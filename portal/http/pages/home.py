"""``/``: the eligibility question, the signed official links and the "support never" rules."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State
from litestar.response import Template

from portal.http.pages.layout import page
from portal.http.pages.views import HomePage


@get("/", operation_id="homePage", include_in_schema=False, cache_control=None)
async def home(state: State) -> Template:
    return await page(state, "home.html", "Check your address", HomePage())
