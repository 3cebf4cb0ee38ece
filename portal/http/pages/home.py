"""``/``: the eligibility question, the signed official links and the "support never" rules."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State

from portal.http.fast.html_page import HtmlPage
from portal.http.pages.layout import render_page
from portal.http.pages.view_models import HomePage

_EMPTY_FORM = HomePage()


# The console's CSRF middleware excludes every path but /staff by pattern; "/" by this opt.
@get("/", operation_id="homePage", include_in_schema=False, cache_control=None, opt={"exclude_from_csrf": True},
     sync_to_thread=False)
def home(state: State) -> HtmlPage:
    """The same for every visitor until the policy changes: rendered once per signed banner."""
    return render_page(state, "home.html", "Check your address", _EMPTY_FORM, hot="keep")
