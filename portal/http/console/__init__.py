"""The staff console at ``/staff``: server-rendered pages over the same domain functions as the JSON API.

Sign-in exchanges an API key for a server-side session (``portal.domain.sessions``); every form
carries a CSRF token (Litestar's CSRF middleware, scoped to ``/staff`` so bearer-token API calls are
untouched); sign-in is rate limited per client. See ``session.py`` for the cookie rules.
"""

from __future__ import annotations

from portal.http.console import admin, evidence, queue_pages, sign_in
from portal.http.console.session import csrf_config, sign_in_rate_limit

ROUTES = [*sign_in.ROUTES, *queue_pages.ROUTES, *evidence.ROUTES, *admin.ROUTES]

__all__ = ["ROUTES", "csrf_config", "sign_in_rate_limit"]
