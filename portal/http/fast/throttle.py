"""Rate limits that hold across processes and hosts, paid only by the requests they count.

``ThrottledPosts`` checks the method and path on the ASGI scope first: ``/health``, pages and reads
go straight through and pay nothing. A counted POST costs its share of one atomic statement in
PostgreSQL (``portal.store.limits``: the hits that queue while one statement is out go together in
the next), so N replicas admit what one would (Litestar's ``RateLimitMiddleware`` kept its
counters per process, and its ``Store`` API cannot increment atomically). The client is
``portal.http.clients``'s answer, the same one the audit log records. The answers are Litestar's:
``RateLimit-Policy``/``-Limit``/``-Remaining``/``-Reset`` on every counted response, and 429
problem+json with ``Retry-After`` past the limit.

``PORTAL_RATE_LIMIT_BACKEND=memory`` keeps the counters in the process instead (one process only:
a test rig, a benchmark's baseline).
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.http.clients import trusted_proxies
from portal.store.limits import WINDOW_SECONDS


class ThrottledPosts:
    """Raw ASGI middleware: POSTs to ``paths`` count against ``limit`` per client per minute. A path with one
    ``*`` (``/v1/challenges/*/signatures``) counts every path with its prefix and suffix."""

    def __init__(self, app: ASGIApp, name: str, limit: int, paths: frozenset[str]) -> None:
        self.app, self.name, self.limit = app, name, limit
        self.paths = frozenset(path for path in paths if "*" not in path)
        self.patterns = tuple(tuple(path.split("*", 1)) for path in paths if "*" in path)
        self.policy = f"{limit}; w={WINDOW_SECONDS}"

    def counts(self, path: str) -> bool:
        return path in self.paths or any(path.startswith(head) and path.endswith(tail) for head, tail in self.patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self.counts(scope["path"]):
            await self.app(scope, receive, send)
            return
        runtime = scope["litestar_app"].state.runtime
        client = trusted_proxies(runtime.settings.trusted_proxies).client(scope) or "unknown"
        n, reset_in = await runtime.limiter.hit(f"{self.name}:{client}", WINDOW_SECONDS)
        headers = self.headers(n, reset_in)
        if n > self.limit:
            raise TooManyRequestsException(headers={**headers, "Retry-After": str(reset_in)})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                mutable = MutableScopeHeaders(message)
                for key, value in headers.items():
                    mutable[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def headers(self, n: int, reset_in: int) -> dict[str, str]:
        return {"RateLimit-Policy": self.policy, "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(max(0, self.limit - n)), "RateLimit-Reset": str(reset_in)}


def throttled_posts(name: str, limit: int, paths: Iterable[str]) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])``: ``limit`` POSTs to ``paths`` per client per minute,
    counted under ``name`` (each limit has its own counters)."""
    return DefineMiddleware(ThrottledPosts, name=name, limit=limit, paths=frozenset(paths))
