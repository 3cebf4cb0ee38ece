"""Who sent a request: the one answer the audit log, the rate limits and the risk flags all use.

The peer address is the client unless the peer is a proxy listed in ``PORTAL_TRUSTED_PROXIES``
(CIDRs). Only then are ``X-Forwarded-For`` (or, when the request has none, ``Forwarded``'s ``for=``)
read, from the right: each trusted hop vouches for the address to its left, so the client is the
rightmost address that is not itself a trusted proxy. Anything a client writes further left is
never reached. From an untrusted peer the headers are ignored: otherwise every request could name
its own client and walk around the limits. The ASGI server is told not to decide
(``proxy_headers=False`` for uvicorn; granian does not rewrite the client), so this is the only place.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from litestar import Request
from litestar.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TrustedProxies:
    """The parsed ``PORTAL_TRUSTED_PROXIES``; ``client(scope)`` names the client of a request."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client(self, scope: Scope) -> str | None:
        peer_text = scope["client"][0] if scope.get("client") else None
        if peer_text is None or not self.networks:
            return peer_text
        peer = parse_address(peer_text)
        if peer is None or not self.trusts(peer):
            return peer_text
        nearest = peer
        for hop in reversed(forwarded_chain(scope)):
            address = parse_address(hop)
            if address is None:   # a hop a trusted proxy would not write: stop at the last sound one
                break
            nearest = address
            if not self.trusts(address):
                break
        return str(nearest)


@functools.lru_cache(maxsize=8)
def trusted_proxies(cidrs: tuple[str, ...]) -> TrustedProxies:
    return TrustedProxies(cidrs)


def client_host(request: Request[Any, Any, Any]) -> str | None:
    """The client of ``request`` by the deployment's ``PORTAL_TRUSTED_PROXIES``."""
    return trusted_proxies(request.app.state.runtime.settings.trusted_proxies).client(request.scope)


def forwarded_chain(scope: Scope) -> list[str]:
    """The addresses the proxies forwarded, oldest first: every ``X-Forwarded-For``, else ``Forwarded``."""
    xff: list[str] = []
    forwarded: list[str] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            xff.extend(part.strip() for part in value.decode("latin-1").split(","))
        elif name == b"forwarded":
            forwarded.extend(_forwarded_for(value.decode("latin-1")))
    return xff or forwarded


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` of each element of an RFC 7239 ``Forwarded`` header (an element without one: "")."""
    found = []
    for element in value.split(","):
        node = ""
        for pair in element.split(";"):
            name, _, text = pair.strip().partition("=")
            if name.strip().lower() == "for":
                node = text.strip().strip('"')
        found.append(node)
    return found


def parse_address(text: str) -> Address | None:
    """An IP address from ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]`` or ``[::1]:80``; None otherwise."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
