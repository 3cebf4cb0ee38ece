"""The CSP is strict, built in one place, and added to HTML responses only."""

from __future__ import annotations

import asyncio

from portal.http.csp import SecurityHeadersMiddleware, content_security_policy, security_headers


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_strict_policy_without_walletconnect() -> None:
    policy = directives(content_security_policy(walletconnect=False))
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_walletconnect_relay_only_when_configured() -> None:
    policy = directives(content_security_policy(walletconnect=True))
    assert "wss://relay.walletconnect.com" in policy["connect-src"]
    assert policy["script-src"] == ["'self'"]


async def _run(content_type: bytes, existing: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type), *existing]})
        await send({"type": "http.response.body", "body": b""})

    async def send(message) -> None:
        sent.append(message)

    middleware = SecurityHeadersMiddleware(app, security_headers(walletconnect=False))
    await middleware({"type": "http"}, None, send)  # type: ignore[arg-type]
    return sent[0]["headers"]


def test_headers_added_to_html_only_and_never_override() -> None:
    html = dict(asyncio.run(_run(b"text/html; charset=utf-8", [])))
    assert b"script-src 'self'" in html[b"content-security-policy"]
    assert html[b"x-frame-options"] == b"DENY" and html[b"x-content-type-options"] == b"nosniff"
    json_headers = dict(asyncio.run(_run(b"application/json", [])))
    assert b"content-security-policy" not in json_headers
    kept = dict(asyncio.run(_run(b"text/html", [(b"content-security-policy", b"default-src 'none'")])))
    assert kept[b"content-security-policy"] == b"default-src 'none'"


def test_a_page_without_forms_differs_only_in_form_action() -> None:
    site = directives(content_security_policy(walletconnect=False))
    no_forms = directives(content_security_policy(walletconnect=False, forms=False))
    assert no_forms["form-action"] == ["'none'"]
    assert {k: v for k, v in no_forms.items() if k != "form-action"} == {k: v for k, v in site.items()
                                                                         if k != "form-action"}
    assert security_headers(walletconnect=False, forms=False)["Content-Security-Policy"] == \
        content_security_policy(walletconnect=False, forms=False)
