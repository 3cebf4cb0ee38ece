"""The staff console at ``/staff``: server-rendered pages over the same domain functions as the JSON API.

Sign-in exchanges an API key for a server-side session (``portal.domain.sessions``); every form
carries a CSRF token bound to that session and must come from the service's own origin (``csrf.py``,
a middleware scoped to ``/staff`` so bearer-token API calls are untouched); every console response is
``no-store``; sign-in is rate limited per client. See ``session.py`` for the cookie rules.
"""

from __future__ import annotations

from portal.http.console import admin, canned_replies, evidence, lookalikes, publish, queue_pages, releases, sign_in
from portal.http.console.csrf import csrf_middleware
from portal.http.console.session import sign_in_rate_limit

ROUTES = [*sign_in.ROUTES, *queue_pages.ROUTES, *evidence.ROUTES, *admin.ROUTES, *canned_replies.ROUTES,
          *lookalikes.ROUTES, *publish.ROUTES, *releases.ROUTES]

__all__ = ["ROUTES", "csrf_middleware", "sign_in_rate_limit"]
