"""Issue 24: who the client is, decided by the app from ``PORTAL_TRUSTED_PROXIES`` and nothing else.

A spoofed ``X-Forwarded-For`` from an untrusted peer must not change the answer (else a client picks
its own identity and walks around the limits); from a trusted proxy, the rightmost untrusted hop is
the client, whatever the client wrote to its left.
"""

from __future__ import annotations

import pytest

from portal.errors import SettingsError
from portal.http.clients import TrustedProxies, parse_address
from portal.settings import from_env


def scope(peer: str | None, *headers: tuple[str, str]) -> dict:
    return {"type": "http", "client": (peer, 4321) if peer else None,
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers]}


PROXIES = TrustedProxies(["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"])


def test_untrusted_peer_headers_are_ignored() -> None:
    spoofed = scope("127.0.0.2", ("X-Forwarded-For", "1.2.3.4"), ("Forwarded", "for=5.6.7.8"))
    assert PROXIES.client(spoofed) == "127.0.0.2"
    assert TrustedProxies([]).client(scope("127.0.0.1", ("X-Forwarded-For", "1.2.3.4"))) == "127.0.0.1"


def test_rightmost_untrusted_hop_is_the_client() -> None:
    chain = scope("10.0.0.5", ("X-Forwarded-For", "6.6.6.6, 203.0.113.9"), ("X-Forwarded-For", "10.1.2.3"))
    assert PROXIES.client(chain) == "203.0.113.9"   # 6.6.6.6 is what the client wrote: never reached


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert PROXIES.client(scope("127.0.0.1", ("X-Forwarded-For", "10.9.9.9, 10.1.1.1"))) == "10.9.9.9"


def test_no_header_from_a_trusted_peer_is_the_peer() -> None:
    assert PROXIES.client(scope("127.0.0.1")) == "127.0.0.1"


def test_forwarded_header_when_no_x_forwarded_for() -> None:
    header = ("Forwarded", 'for=198.51.100.7;proto=https, for="[2001:db8::1]:4711";by=10.0.0.1')
    assert PROXIES.client(scope("10.0.0.1", header)) == "2001:db8::1"


def test_garbage_hop_stops_at_the_last_sound_address() -> None:
    assert PROXIES.client(scope("10.0.0.1", ("X-Forwarded-For", "203.0.113.1, not-an-ip, 10.0.0.2"))) == "10.0.0.2"
    assert PROXIES.client(scope("10.0.0.1", ("X-Forwarded-For", "203.0.113.1:8080"))) == "203.0.113.1"


def test_no_client_and_non_ip_peer() -> None:
    assert PROXIES.client(scope(None)) is None
    assert PROXIES.client(scope("testclient", ("X-Forwarded-For", "1.2.3.4"))) == "testclient"


@pytest.mark.parametrize(("text", "expected"), [("1.2.3.4", "1.2.3.4"), ("1.2.3.4:80", "1.2.3.4"), ("::1", "::1"),
                                                ("[::1]:80", "::1"), ("unknown", None), ("_hidden", None)])
def test_parse_address(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == expected


def test_trusted_proxies_setting_is_validated() -> None:
    settings = from_env({"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1 ,fd00::/8"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1", "fd00::/8")
    with pytest.raises(SettingsError) as refused:
        from_env({"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"})
    assert "PORTAL_TRUSTED_PROXIES" in str(refused.value)
