"""A rendered HTML page sent as is: the hot pages' response (``/``, the eligibility answer, a request's status).

Litestar's ``Template`` response renders through the template engine, builds a header multidict and
encodes the body on every request. The pages holders hit hardest are either the same for everyone
(``/`` between two policy versions) or rendered straight from the Jinja environment, so their
headers are settled in advance, as ``CacheableJson`` does for the JSON answer. The security headers
(CSP and the rest) are still added by ``portal.http.csp``'s middleware, which keys on this
``content-type``. Pages that set cookies or vary their headers keep Litestar's ``Template``.
"""

from __future__ import annotations

from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

HTML_CONTENT_TYPE = (b"content-type", b"text/html; charset=utf-8")
NO_STORE = ((b"cache-control", b"no-store"),)  # a holder's own page: no cache on the way may keep it


class HtmlPage:
    """ASGI app sending ``body`` (UTF-8 HTML) with ``status``, ``content-type``, ``content-length`` and
    ``headers`` (settled in advance, e.g. ``NO_STORE``)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: bytes, status: int = 200, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        self.body = body
        self.status = status
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": self.status,
            "headers": [HTML_CONTENT_TYPE, (b"content-length", b"%d" % len(body)), *self.headers],
        }
        await send(start)
        message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
        await send(message)
