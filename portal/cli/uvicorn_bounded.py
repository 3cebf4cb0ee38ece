"""uvicorn's httptools protocol with bounds on the request head and body: time and size.

uvicorn closes a kept-alive connection that idles after a response (``timeout_keep_alive``), but
bounds nothing else here (issues 10 and 19):
- a connection that never sends a byte, or trickles its headers, it kept for good: a few thousand
  exhaust the worker's files. The whole request head (request line and headers) must now arrive
  within ``PORTAL_HEADER_READ_TIMEOUT_SECONDS`` of the connection opening or of the previous
  response, or the connection is closed;
- a head of any size was buffered (httptools/llhttp have no limit; a 50 MB header got a 200 and
  cost 270 MB). A head larger than ``PORTAL_MAX_HEADER_BYTES`` is answered ``431`` and the
  connection closed; at most the limit plus one socket read is ever fed to the parser;
- a body had no deadline: ~20,000 connections that sent a head with ``Content-Length`` and then
  nothing took every file. The body must now be whole within ``PORTAL_BODY_READ_TIMEOUT_SECONDS``
  of the head's end, or the connection is closed (``408`` when no response was started).
Responses are not covered (the app writes small ones; a reverse proxy bounds slow readers).

``portal serve --server uvicorn`` passes this class by import path, so every worker (its own
interpreter) builds it and reads the bounds from the environment it inherited, once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from portal.cli.log_limit import limit_flood_logging
from portal.http.problems import PROBLEM_TYPE_BASE
from portal.settings import Settings, from_env


def problem_response(status: int, reason: str, code: str, field: str, detail: str) -> bytes:
    """A whole HTTP/1.1 ``application/problem+json`` response that closes the connection.

    Written by the protocol itself: the request never reached the app, so Litestar cannot answer."""
    body = json.dumps({"type": PROBLEM_TYPE_BASE + code, "title": reason, "status": status,
                       "detail": detail, "code": code, "field": field}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


def _expects_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"0", b"")):
            return True
    return False


class HeadDeadlineProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that bounds each request's head (time, bytes) and body (time)."""

    # read once per worker, on the first connection
    head_timeout: float | None = None
    body_timeout: float = 10.0
    max_head_bytes: int = 32 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head, self._head_bytes = True, 0
        super().connection_made(transport)
        self._arm(self._head_timeout(), self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            room = self.max_head_bytes - self._head_bytes
            if len(data) > room:
                # Feed no more than the limit: if the head has not ended by then, it is too large.
                if room > 0:
                    super().data_received(data[:room])
                if self.transport.is_closing():
                    return
                if self._in_head:
                    self._head_too_large()
                    return
                data = data[room:]   # the head ended within the limit: the rest is its body
            else:
                self._head_bytes += len(data)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        if _expects_body(self.headers):
            self._arm(self.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        # Whatever the client sends next is the next request's head.
        self._in_head, self._head_bytes = True, 0
        if self._deadline is not None and self.cycle is not None and not self.cycle.response_complete:
            self._disarm()   # the body deadline is met; the response is the app's business
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:   # idle, waiting for the next request
            self._arm(self._head_timeout(), self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _head_timeout(self) -> float:
        cls = type(self)
        if cls.head_timeout is None:
            settings = from_env()
            cls.body_timeout, cls.max_head_bytes = settings.body_read_timeout_seconds, settings.max_header_bytes
            cls.head_timeout = settings.header_read_timeout_seconds
            limit_flood_logging()   # this worker's asyncio and uvicorn repeats, at a bounded rate
        return cls.head_timeout

    def _arm(self, timeout: float, callback: object) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(timeout, callback)  # type: ignore[arg-type]

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _close_with(self, response: bytes | None) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        if response is not None:
            self.transport.write(response)
        self.transport.close()

    def _head_too_slow(self) -> None:
        self._deadline = None
        self._close_with(None)

    def _head_too_large(self) -> None:
        self._close_with(problem_response(
            431, "Request Header Fields Too Large", "headers_too_large", "headers",
            f"The request line and headers exceed {self.max_head_bytes} bytes."))

    def _body_too_slow(self) -> None:
        self._deadline = None
        started = self.cycle is not None and self.cycle.response_started
        self._close_with(None if started else problem_response(
            408, "Request Timeout", "body_timeout", "body",
            f"The request body did not arrive within {self.body_timeout:g} s of its headers."))


def uvicorn_options(settings: Settings, *, workers: int) -> dict[str, Any]:
    """``uvicorn.Config`` arguments shared by ``uvicorn.run`` (several workers) and ``portal.cli.worker`` (one).

    No ``limit_concurrency``: uvicorn counts open connections against it, so an idle flood would
    turn every real request into a 503; ``HeadDeadlineProtocol`` bounds the connections instead.
    The event loop: see ``run_server``. ``proxy_headers=False``: uvicorn would otherwise rewrite the
    client from ``X-Forwarded-For`` whenever the peer is 127.0.0.1 (its default ``forwarded_allow_ips``),
    so any local process could pick its identity; the app decides instead, from
    ``PORTAL_TRUSTED_PROXIES`` (``portal.http.clients``).
    """
    return {"app": "portal.asgi:app_from_env", "factory": True, "log_level": "warning", "access_log": False,
            "proxy_headers": False, "forwarded_allow_ips": "",
            "http": "portal.cli.uvicorn_bounded:HeadDeadlineProtocol", "backlog": settings.listen_backlog,
            "timeout_keep_alive": settings.keep_alive_timeout_seconds,
            "loop": "asyncio" if workers == 1 else "auto"}
