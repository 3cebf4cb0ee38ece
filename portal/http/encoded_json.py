"""A 200 response whose JSON body the domain has already encoded.

Litestar's ``ASGIResponse`` builds a header multidict and checks status, cookies and HEAD on every
response. For a body that is ready those are settled in advance, and skipping them is worth about
5 µs per request: a fifth of the eligibility route's own cost, measured in
``benchmarks/http_eligibility.py``. Routes that need anything more use Litestar's responses.
"""

from __future__ import annotations

from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

_CONTENT_TYPE = (b"content-type", b"application/json")


class EncodedJson:
    """ASGI app sending ``body`` (JSON bytes) with status 200, ``content-type`` and ``content-length``."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 200,
            "headers": [_CONTENT_TYPE, (b"content-length", b"%d" % len(body))],
        }
        await send(start)
        message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
        await send(message)
