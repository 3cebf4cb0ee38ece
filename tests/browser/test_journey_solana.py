"""Solana holders end to end in Chromium: a Wallet Standard browser wallet (signMessage), and a
Tangem-shaped wallet whose signTransaction answers with the signature alone (the ``solana_tx``
method). Both are backed by real ed25519 demo keys in Python (PyNaCl). A Ledger holder gets the one-line
text (off-chain message format 0, which a Ledger clear-signs) and pastes a signature made elsewhere."""

from __future__ import annotations

import base58
import psycopg
from playwright.sync_api import expect

from portal.domain.proofs.solana import FORMAT0_MAX_BODY_BYTES, is_restricted_ascii
from portal.http.copy.journey import ONE_LINE_WORDS
from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_journey_evm import answer_questions, api_view, check_eligibility, read_token_and_open_status
from tests.browser.wallets import (
    install_standard_solana_wallet,
    install_tangem_shaped_wallet,
    solana_address,
    solana_key,
)

SOLANA_DESTINATION = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"


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


def test_tangem_shaped_wallet_signs_the_transaction_and_answers_only_the_signature(context, live_server) -> None:
    key = solana_key(1)
    signatures = install_tangem_shaped_wallet(context, key)
    page = context.new_page()
    start(page, live_server.url, solana_address(key))
    answer_questions(page, wallet="A Tangem card", destination=SOLANA_DESTINATION, chain_label="Solana")
    assert "Sign a transaction that is never sent" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="Get the transaction to sign").click()
    expect(page.get_by_label("The unsigned transaction, base64")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sign-tangem")
    page.get_by_role("button", name="Sign with your Solana wallet").click()
    reference, token = read_token_and_open_status(page)
    assert len(signatures) == 1
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"


def test_ledger_on_solana_gets_the_one_line_text_and_a_pasted_signature_over_it_is_accepted(context,
                                                                                           live_server) -> None:
    key = solana_key(2)
    page = context.new_page()
    start(page, live_server.url, solana_address(key))
    answer_questions(page, wallet="A Ledger or Trezor", destination=SOLANA_DESTINATION, chain_label="Solana")
    expect(page.get_by_role("main")).to_contain_text(ONE_LINE_WORDS)
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("heading", name="Sign the message")).to_be_visible()
    text = page.get_by_label("The text to sign").inner_text()
    assert "\n" not in text and is_restricted_ascii(text.encode()) and len(text.encode()) <= FORMAT0_MAX_BODY_BYTES
    assert solana_address(key) in text and SOLANA_DESTINATION in text
    screenshot(page, "sign-ledger-one-line")
    # What `solana sign-offchain-message` or a Ledger would return, made here with the holder's key.
    signature = base58.b58encode(key.sign(text.encode()).signature).decode()
    page.get_by_role("textbox", name="Signature").fill(signature)
    page.get_by_role("button", name="Send the signature").click()
    reference, token = read_token_and_open_status(page)
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"
    with psycopg.connect(live_server.database_url) as conn:
        style, message = conn.execute("SELECT message_style, message FROM challenges").fetchone()  # type: ignore[misc]
    assert (style, message) == ("one_line", text)
