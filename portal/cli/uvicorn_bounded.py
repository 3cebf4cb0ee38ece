"""uvicorn's httptools protocol with a deadline on the request head.

uvicorn closes a kept-alive connection that idles after a response (``timeout_keep_alive``), but a
connection that never sends a byte, or trickles its headers a byte at a time, it keeps for good: a
few thousand of them exhaust the worker's files (issue 10). Here the whole request head (request
line and headers) must arrive within ``PORTAL_HEADER_READ_TIMEOUT_SECONDS`` of the connection
opening or of the previous response; otherwise the connection is closed. Bodies and responses are
not covered (the app's handlers read small bodies; a reverse proxy bounds the rest).

``portal serve --server uvicorn`` passes this class by import path, so every worker (spawned with
its own interpreter) builds it and reads the deadline from the environment it inherited.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from portal.settings import from_env


class HeadDeadlineProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes connections whose request head is not whole in time."""

    head_timeout: float | None = None   # read once per worker, on the first connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:   # idle, waiting for the next request
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        timeout = type(self).head_timeout
        if timeout is None:
            timeout = type(self).head_timeout = from_env().header_read_timeout_seconds
        self._head_deadline = self.loop.call_later(timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
