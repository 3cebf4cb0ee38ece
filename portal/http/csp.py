"""The content-security policy and the other security headers of every HTML page, built in one place.

Invariants: pages run only same-origin script (``script-src 'self'``, no inline script, no eval),
load nothing from another origin, cannot be framed, and post forms only to this origin. The one
exception is the WalletConnect relay, which ``connect-src`` names only when a WalletConnect project
id is configured. ``SecurityHeadersMiddleware`` adds the headers to any ``text/html`` response
that does not set its own (the policy pages send their own, built here with ``forms=False``:
``form-action 'none'``, since a page that only shows signed text posts nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# What the WalletConnect Sign client talks to: the relay (websocket) and its verify service.
WALLETCONNECT_ORIGINS = ("wss://relay.walletconnect.com", "wss://relay.walletconnect.org",
                         "https://verify.walletconnect.com", "https://verify.walletconnect.org")


def content_security_policy(*, walletconnect: bool, forms: bool = True) -> str:
    """The CSP header value; ``forms=False`` for pages that post nothing (``form-action 'none'``)."""
    connect = ["'self'", *(WALLETCONNECT_ORIGINS if walletconnect else ())]
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "form-action": ["'self'" if forms else "'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(*, walletconnect: bool, forms: bool = True) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(walletconnect=walletconnect, forms=forms),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }


class SecurityHeadersMiddleware:
    """Raw ASGI middleware: adds the headers to HTML responses (the JSON hot path pays one check)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message.get("headers") or [], self.headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(existing: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]) -> list:
    current = list(existing)
    content_type = next((value for name, value in current if name.lower() == b"content-type"), b"")
    if not content_type.startswith(b"text/html"):
        return current
    present = {name.lower() for name, _ in current}
    return current + [(name, value) for name, value in extra if name not in present]


def middleware(*, walletconnect: bool) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])``."""
    return DefineMiddleware(SecurityHeadersMiddleware, headers=security_headers(walletconnect=walletconnect))
