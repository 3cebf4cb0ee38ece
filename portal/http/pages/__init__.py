"""The holders' HTML pages: server-rendered, same-origin, working before any JavaScript runs.

Each handler calls the same domain functions as the JSON API and hands its template a Struct.
"""

from __future__ import annotations

from portal.http.pages import home
from portal.http.pages.assets import static_router

ROUTES = [home.home, static_router()]
