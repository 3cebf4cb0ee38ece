"""Nothing on the official pages can be chosen by someone else (issue 22, item 1), in Chromium.

- A link that names a destination lands on the destination question, empty: the journey never takes
  the destination from a query string.
- A page on another origin (another loopback port is another origin; ``localhost`` another site)
  that auto-submits a holder form is answered with a page in words, 403, and no challenge.
- The sign page shows the destination large, with the warning from the copy package above every
  button, and offers no command that has the holder type a private key.
- The zero address, the burn addresses and the signed policy's contracts are refused as destinations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from policy.document import parse_document
from portal.http.copy import journey as copy
from tests.browser.conftest import LiveServer, open_context
from tests.browser.wallets import evm_account

STRANGER = "0xBAd0000000000000000000000000000000000bAD"
MINE = "0x3333333333333333333333333333333333333333"
DESTINATION_QUESTION = "Which address should receive the new token?"


class EvilSite:
    """A page on another origin whose form posts itself to the portal as soon as it loads."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.pages.get(self.path, b"not here")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def auto_submit(self, name: str, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
        self.pages[f"/{name}"] = (f'<!doctype html><form id="f" method="post" action="{escape(action)}">{inputs}'
                                  '</form><script>document.getElementById("f").submit()</script>').encode()


@pytest.fixture
def evil() -> Iterator[EvilSite]:
    site = EvilSite()
    yield site
    site.server.shutdown()
    site.server.server_close()


def type_destination(page, destination: str) -> None:
    page.get_by_label(DESTINATION_QUESTION).fill(destination)
    page.get_by_role("button", name="Continue").click()


def test_a_link_cannot_fill_in_the_destination(browser, live_server: LiveServer) -> None:
    context = open_context(browser, live_server)
    page = context.new_page()
    holder = evm_account(6)
    page.goto(f"{live_server.url}/prove?address={holder.address}&chain=evm&wallet=browser&destination={STRANGER}")
    expect(page.get_by_role("heading", name=DESTINATION_QUESTION)).to_be_visible()
    assert page.get_by_label(DESTINATION_QUESTION).input_value() == ""
    assert STRANGER.lower() not in page.content().lower()
    assert page.get_by_role("button", name="Get the message to sign").count() == 0
    type_destination(page, MINE)
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    assert MINE not in page.url  # the typed destination went in the body, not the address bar
    for link in page.get_by_role("link").all():
        assert MINE.lower() not in (link.get_attribute("href") or "").lower()
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("heading", name="Sign the message")).to_be_visible()
    shown = page.locator("[data-role=destination]")
    assert shown.inner_text().strip() == MINE
    assert float(shown.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    warning = page.locator("[data-role=destination-warning]")
    assert warning.inner_text().strip() == copy.SIGN_WARNING
    assert "typed this address yourself" in copy.SIGN_WARNING and "sent you here" in copy.SIGN_WARNING
    # The warning sits above every way to sign.
    warning_top = warning.bounding_box()["y"]
    for button in page.locator("main button").all():
        if button.is_visible():
            assert button.bounding_box()["y"] > warning_top
    text = page.locator("main").inner_text()
    assert "--interactive" not in text and "type in" not in text
    assert "cast wallet sign --ledger" in text and "--keystore" in text
    context.close()
    context.watch.assert_clean()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("form", ["/prove", "/prove/challenge", "/prove/submit", "/requests"])
def test_a_form_posted_from_another_origin_is_refused_in_words(browser, live_server: LiveServer, evil: EvilSite,
                                                               host: str, form: str) -> None:
    holder = evm_account(7)
    fields = {"address": holder.address, "chain": "evm", "wallet": "browser", "destination": STRANGER,
              "challenge_id": "00000000-0000-4000-8000-000000000000", "proof": "0x00",
              "request_id": "00000000-0000-4000-8000-000000000000", "status_token": "x"}
    evil.auto_submit("migrate", f"{live_server.url}{form}", fields)
    context = browser.new_context()  # not open_context: this test leaves the portal's origin on purpose
    try:
        page = context.new_page()
        with page.expect_response(lambda r: r.url == f"{live_server.url}{form}") as answered:
            page.goto(f"http://{host}:{evil.port}/migrate")
        assert answered.value.status == 403
        expect(page.get_by_role("heading", name=copy.CROSS_SITE_HEADING)).to_be_visible()
        assert "Sign the message" not in page.content() and STRANGER not in page.content()
    finally:
        context.close()
    # Nothing was issued: the stranger's destination is in no challenge.
    import psycopg

    with psycopg.connect(live_server.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM challenges WHERE destination = %s", [STRANGER]).fetchone()[0] == 0


def test_same_origin_forms_and_plain_clients_still_work(live_server: LiveServer) -> None:
    holder = evm_account(8)
    form = {"address": holder.address, "chain": "evm", "wallet": "browser", "destination": MINE}
    own = {"Origin": live_server.url, "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(f"{live_server.url}/prove", data=form, headers=own).status_code == 200
    assert httpx.post(f"{live_server.url}/prove", data=form).status_code == 200  # curl: no browser to defend
    foreign = httpx.post(f"{live_server.url}/prove/challenge", data=form,
                         headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403 and copy.CROSS_SITE_HEADING in foreign.text
    old_browser = httpx.post(f"{live_server.url}/prove/challenge", data=form, headers={"Origin": "https://evil.example"})
    assert old_browser.status_code == 403
    assert "set-cookie" not in foreign.headers


def test_destinations_nobody_can_use_are_refused(browser, live_server: LiveServer, tmp_path) -> None:
    contracts = parse_document((tmp_path / "demo-policy" / "official.md").read_bytes()).contracts
    token = next(c.address for c in contracts if c.chain == "ethereum")
    context = open_context(browser, live_server)
    page = context.new_page()
    holder = evm_account(9)
    for destination, why in [("0x0000000000000000000000000000000000000000", "zero address"),
                             ("0x000000000000000000000000000000000000dEaD", "burn address"),
                             (token, "contract named in the official policy")]:
        page.goto(f"{live_server.url}/prove?address={holder.address}&chain=evm&wallet=browser")
        type_destination(page, destination)
        expect(page.get_by_role("heading", name=DESTINATION_QUESTION)).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Nobody can use tokens sent to this address")
        api = httpx.post(f"{live_server.url}/v1/challenges", json={
            "address": holder.address, "destination": destination, "method": "eip191"})
        assert api.status_code == 400 and api.json()["code"] == "unusable_destination", api.text
        assert why in api.json()["detail"]

    context.close()
    context.watch.assert_clean()
