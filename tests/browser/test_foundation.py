"""The page foundation in a real Chromium: layout, banner from the signed policy, CSP, offline /schema."""

from __future__ import annotations

import urllib.request

from tests.browser.conftest import PHONE_WIDTH_PX, assert_accessible, open_context, screenshot


def test_home_page_shows_the_signed_banner_and_is_accessible(page, live_server) -> None:
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check if your address is in the snapshot"
    banner = page.get_by_role("region", name="Official links")
    assert f"{live_server.url}/" in banner.inner_text()
    assert page.get_by_role("link", name="signed policy").first.get_attribute("href") == "/policy/official"
    rules = page.get_by_role("region", name="What support will never do")
    assert "never asks for your seed phrase" in rules.inner_text()
    assert_accessible(page)
    screenshot(page, "home")


def test_every_html_response_carries_the_csp(live_server) -> None:
    with urllib.request.urlopen(live_server.url + "/") as response:  # noqa: S310 (loopback)
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "walletconnect" not in csp  # no relay unless a project id is configured


def test_schema_renders_offline_under_the_csp(page, live_server) -> None:
    page.goto(live_server.url + "/schema")
    page.get_by_text("/v1/challenges", exact=True).first.wait_for()
    assert page.get_by_role("heading", name="migration-portal").count() >= 1


def test_home_page_at_phone_width_with_the_keyboard(browser, live_server) -> None:
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH_PX
    screenshot(page, "home-375")
    context.close()
    context.watch.assert_clean()
