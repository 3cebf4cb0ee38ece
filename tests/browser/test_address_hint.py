"""The live destination hint uses the server's rule and goes away when the server has spoken (item 7).

Table-driven in Chromium: the page's own ``address-check.js`` judges each address as
``snapshot.parse_address`` does (EIP-55 for mixed case, base58 of exactly 32 bytes for Solana).
On the page, a mistyped checksum is never called valid; once the server refuses it, only the
server's sentence is shown, until the holder edits the address.
"""

from __future__ import annotations

import base58
from playwright.sync_api import expect

from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError
from tests.browser.conftest import LiveServer, open_context
from tests.browser.wallets import evm_account

GOOD = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's own example
CASES = [
    GOOD, GOOD.lower(), "0X" + GOOD[2:].upper(), GOOD.replace("aA", "Aa", 1), GOOD[:-1] + "D",
    GOOD[:-1], "0x" + "g" * 40, base58.b58encode(bytes(range(32))).decode(),
    base58.b58encode(b"\xff" * 33).decode(), base58.b58encode(b"\x01" * 31).decode(),
    "1nc1nerator11111111111111111111111111111111", "11111111111111111111111111111111", "O0Il" * 10, "",
]
QUESTION = "Which address should receive the new token?"


def server_verdict(text: str) -> str:
    try:
        return parse_address(text).chain
    except InvalidAddressError as exc:
        return "checksum" if getattr(exc, "code", "") == "invalid_checksum" or "EIP-55" in str(exc) else "invalid"


def test_the_hint_and_the_server_judge_every_address_alike(page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/prove?address={evm_account(6).address}&chain=evm&wallet=browser")
    module = page.locator('script[type="module"][src*="main.js"]').get_attribute("src").replace("main.js",
                                                                                                "address-check.js")
    verdicts = page.evaluate("""async ([url, cases]) => {
        const check = await import(url);
        await check.ready();
        return cases.map((text) => {
          const evm = check.evmVerdict(text);
          return evm === "ok" ? "evm" : evm === "checksum" ? "checksum" : check.isSolana(text) ? "solana" : "invalid";
        });
      }""", [module, CASES])
    assert verdicts == [server_verdict(text) for text in CASES]


def test_a_bad_checksum_is_never_called_valid_and_the_server_speaks_alone(browser, live_server: LiveServer) -> None:
    context = open_context(browser, live_server)
    page = context.new_page()
    page.goto(f"{live_server.url}/prove?address={evm_account(6).address}&chain=evm&wallet=browser")
    field = page.get_by_label(QUESTION)
    hint = page.locator("[data-module=address-check]")
    mistyped = GOOD[:-1] + "D"
    field.fill(mistyped)
    expect(hint).to_contain_text("wrong case")
    field.fill(GOOD)
    expect(hint).to_contain_text("well-formed address")
    field.fill(mistyped)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong case")  # the server's sentence
    page.wait_for_load_state("load")  # the page's scripts have run: the hint stays away by their choice
    expect(hint).to_have_text("")
    page.get_by_label(QUESTION).fill(GOOD)
    expect(hint).to_contain_text("well-formed address")
    context.close()
    context.watch.assert_clean()
