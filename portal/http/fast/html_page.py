"""A rendered HTML page sent as is: the hot pages' response (``/`` and the eligibility answer).

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


class HtmlPage:
    """ASGI app sending ``body`` (UTF-8 HTML) with ``status``, ``content-type`` and ``content-length``."""

    __slots__ = ("body", "status")

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body = body
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": self.status,
            "headers": [HTML_CONTENT_TYPE, (b"content-length", b"%d" % len(body))],
        }
        await send(start)
        message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
        await send(message)
