"""Solana holders end to end in Chromium: a Wallet Standard browser wallet (signMessage), and a
Tangem-shaped wallet whose signTransaction answers with the signature alone (the ``solana_tx``
method). Both are backed by real ed25519 demo keys in Python (PyNaCl)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.domain.challenges import Challenge
from portal.settings import Settings
from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_journey_evm import answer_questions, api_view, check_eligibility, read_token_and_open_status
from tests.browser.wallets import (
    install_standard_solana_wallet,
    install_tangem_shaped_wallet,
    solana_address,
    solana_key,
)

SOLANA_DESTINATION = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
# Until the per-request destination contract lands, the deployment-wide chain is set to Solana here.
PER_REQUEST_DESTINATION = "destination_chains" in Settings.__struct_fields__
HAS_UNSIGNED_TRANSACTION = "unsigned_transaction" in Challenge.__struct_fields__


@pytest.fixture
def server_settings() -> dict:
    return {} if PER_REQUEST_DESTINATION else {"destination_chain": "solana"}


def start(page, base: str, address: str) -> None:
    check_eligibility(page, base, address)
    page.get_by_role("link", name="prove you own this address another way").click()


def test_wallet_standard_solana_journey(context, live_server) -> None:
    key = solana_key(0)
    signed = install_standard_solana_wallet(context, key)
    page = context.new_page()
    start(page, live_server.url, solana_address(key))
    answer_questions(page, wallet="A wallet in this browser", destination=SOLANA_DESTINATION, chain_label="Solana")
    page.get_by_role("button", name="Get the message to sign").click()
    assert solana_address(key) in page.get_by_label("The text to sign").inner_text()
    screenshot(page, "sign-solana")
    page.get_by_role("button", name="Sign with Test Solana Wallet").click()
    reference, token = read_token_and_open_status(page)
    assert signed == ["message"]
    assert api_view(live_server.url, reference, token)["destination"] == SOLANA_DESTINATION


@pytest.mark.skipif(not HAS_UNSIGNED_TRANSACTION, reason="needs the challenge's unsigned_transaction (h11s)")
def test_tangem_shaped_wallet_signs_the_transaction_and_answers_only_the_signature(context, live_server) -> None:
    key = solana_key(1)
    signatures = install_tangem_shaped_wallet(context, key)
    page = context.new_page()
    start(page, live_server.url, solana_address(key))
    answer_questions(page, wallet="A Tangem card", destination=SOLANA_DESTINATION, chain_label="Solana")
    assert "Sign a transaction that is never sent" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_label("The unsigned transaction, base64")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sign-tangem")
    page.get_by_role("button", name="Sign with your Solana wallet").click()
    reference, token = read_token_and_open_status(page)
    assert len(signatures) == 1
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"
