"""A holder with an EVM browser wallet, end to end in Chromium: eligibility -> guided flow -> sign ->
submit -> status token -> status page. The wallet is an injected EIP-6963 provider backed by a real
eth-account key (Hardhat test account); the server verifies its signature like any other."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.wallets import evm_account, install_evm_wallet

DESTINATION = "0x1111111111111111111111111111111111111111"


def choose(page, label: str) -> None:
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def answer_questions(page, *, wallet: str, destination: str, chain_label: str) -> None:
    # Wait for the journey's first question (the link's navigation may still be under way), then answer it.
    first = re.compile(r"Where do you want to receive the new token\?|What kind of wallet holds the snapshot address\?")
    expect(page.get_by_role("heading", level=1)).to_have_text(first)
    if page.get_by_role("heading", name="Where do you want to receive the new token?").count():
        choose(page, chain_label)
    expect(page.get_by_role("heading", name="What kind of wallet holds the snapshot address?")).to_be_visible()
    choose(page, wallet)
    page.get_by_label("Which address should receive the new token?").fill(destination)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()


def check_eligibility(page, base: str, address: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Check if your address is in the snapshot").fill(address)
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.get_by_role("heading", name="You are in the snapshot")).to_be_visible()


def read_token_and_open_status(page) -> tuple[str, str]:
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    token = page.get_by_label("Your status token").inner_text().strip()
    reference = page.locator("main .panel code").inner_text().strip()
    assert len(token) >= 43
    page.get_by_role("link", name="your request page").click()
    page.get_by_role("textbox", name="Status token", exact=True).fill(token)  # the request page, once it has loaded
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    return reference, token


def api_view(base: str, reference: str, token: str) -> dict:
    request = urllib.request.Request(f"{base}/v1/requests/{reference}",  # noqa: S310 (loopback http)
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read())


def test_evm_browser_wallet_journey(context, live_server) -> None:
    holder = evm_account(1)
    signed = install_evm_wallet(context, holder)
    page = context.new_page()
    check_eligibility(page, live_server.url, holder.address)
    assert_accessible(page)
    screenshot(page, "eligibility-result")
    page.get_by_role("link", name="prove you own this address another way").click()
    answer_questions(page, wallet="A wallet in this browser", destination=DESTINATION,
                     chain_label="Ethereum (an 0x… address)")
    assert "Sign a message (personal_sign)" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    screenshot(page, "check-answers")
    page.get_by_role("button", name="Get the message to sign").click()
    message = page.get_by_label("The text to sign").inner_text()
    assert holder.address in message and DESTINATION in message
    assert_accessible(page)
    screenshot(page, "sign-evm")
    page.get_by_role("button", name="Sign with Test EVM Wallet").click()
    reference, token = read_token_and_open_status(page)
    assert [method for method, _ in signed] == ["personal_sign"]
    assert "Waiting for review" in page.get_by_role("main").inner_text()
    assert "?" not in page.url and token not in page.url
    assert_accessible(page)
    screenshot(page, "status")
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"
