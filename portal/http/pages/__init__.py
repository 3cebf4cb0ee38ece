"""The holders' HTML pages: server-rendered, same-origin, working before any JavaScript runs.

Each handler calls the same domain functions as the JSON API and hands its template a Struct.
"""

from __future__ import annotations

from portal.http.pages import eligibility, home, journey, safe, status
from portal.http.pages.assets import favicon, static_router

ROUTES = [home.home, eligibility.eligibility_page, *journey.ROUTES, *status.ROUTES, *safe.ROUTES, static_router(),
          favicon]
RATE_LIMITED_PATHS = journey.RATE_LIMITED_PATHS | safe.RATE_LIMITED_PATHS
