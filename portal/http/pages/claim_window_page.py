"""After the signed policy's claim deadline, the start of the holder journey says the policy's sentence.

With ``late_requests = "closed"`` a new challenge is refused (403 ``claim_window_closed``,
``portal.domain.claim_window``), so the pages that lead to one (``/prove`` and its forms) show the
policy's own ``late_notice`` instead of a form that could only fail at its last step. With
``"review"`` the flow goes on and says that the request is reviewed as late. The window is read
from the signed banner (``portal.http.pages.layout``), refreshed every ``PORTAL_BANNER_TTL_SECONDS``;
the challenge itself is checked against the policy in the database, whatever a page showed.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.response import Template

from portal.http.copy import claim_window as copy
from portal.http.pages.layout import current_banner, render_page
from portal.http.pages.view_models import StopPage


def window_closed_page(state: State) -> Template | None:
    """The policy's sentence as a 403 page when the claim window is closed to new requests, else None."""
    banner = current_banner(state).banner
    if not banner.claim_closed or banner.late_review:
        return None
    page = StopPage(copy.WINDOW_CLOSED_HEADING, (banner.late_notice, copy.WINDOW_CLOSED_FILED), "/")
    return render_page(state, "stop.html", page.heading, page, status_code=403)
