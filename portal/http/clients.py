"""Who sent a request, as the audit log and the request records name it."""

from __future__ import annotations

from typing import Any

from litestar import Request


def client_host(request: Request[Any, Any, Any]) -> str | None:
    """The peer's address as the ASGI server saw it (a proxy's, unless it forwards and is trusted)."""
    return request.client.host if request.client else None
