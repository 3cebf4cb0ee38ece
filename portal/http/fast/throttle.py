"""Litestar's rate limiting, entered only by the requests it counts.

``RateLimitMiddleware`` builds a ``Request`` and awaits its ``check_throttle_handler`` for every
request the app serves, to learn that ``/health`` or a page view is not one it counts: about 6 µs
each, twice (holders' limit, staff sign-in), on every request. ``ThrottledPosts`` checks the method
and path on the ASGI scope first and hands only the counted POSTs to Litestar's middleware; what
that middleware does with them (the store, the window, the 429 and its headers) is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send


class ThrottledPosts:
    """Raw ASGI middleware: POSTs to ``paths`` go through ``RateLimitMiddleware``, the rest around it."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig, paths: frozenset[str]) -> None:
        self.app = app
        self.limited = RateLimitMiddleware(app, config)
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def throttled_posts(config: RateLimitConfig, paths: Iterable[str]) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])``: ``config`` applied to POSTs to ``paths``."""
    return DefineMiddleware(ThrottledPosts, config=config, paths=frozenset(paths))
