"""What the device shows is what the page shows, and no dead end, in Chromium with wallets backed by real
keys: the EIP-712 fields a Ledger lists are the fields the page lists (and the ones the wallet signed);
the Tangem page is headed as a transaction and shows the memo that names both addresses; with the
README's configuration (no WalletConnect id) a Tangem holder is told which setting and what works; a
rejected request links to a new one."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from portal.http.copy import journey as copy
from tests.browser.conftest import assert_accessible, in_thread, screenshot
from tests.browser.test_journey_evm import (
    DESTINATION,
    answer_questions,
    api_view,
    check_eligibility,
    read_token_and_open_status,
)
from tests.browser.test_journey_solana import SOLANA_DESTINATION, start
from tests.browser.test_needs_info import file_through_pages, staff_post
from tests.browser.wallets import (
    evm_account,
    install_evm_wallet,
    install_tangem_shaped_wallet,
    solana_address,
    solana_key,
)
from tests.integration.staff_helpers import create_key

EVM_CHAIN = "Ethereum (an 0x… address)"


def field_value(page, name: str) -> str:
    """The value the page lists for the EIP-712 field ``name`` (its row, read like a person would)."""
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
    return row.get_by_role("cell").locator("code").inner_text()


def test_eip712_page_lists_the_fields_the_wallet_signs(context, live_server) -> None:
    holder = evm_account(3)
    signed = install_evm_wallet(context, holder)
    page = context.new_page()
    check_eligibility(page, live_server.url, holder.address)
    page.get_by_role("link", name="prove you own this address another way").click()
    answer_questions(page, wallet="A Ledger or Trezor", destination=DESTINATION, chain_label=EVM_CHAIN)
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(copy.SIGN_MESSAGE_HEADING)
    expect(page.get_by_role("heading", name=copy.TYPED_FIELDS_HEADING)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Domain (who asks)")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Message (MigrationRequest)")).to_be_visible()
    shown = {name: field_value(page, name) for name in ("name", "version", "chainId", "snapshotAddress",
                                                        "destination", "nonce", "issuedAt", "expiresAt")}
    assert shown["snapshotAddress"] == holder.address and shown["destination"] == DESTINATION
    expect(page.get_by_role("heading", name=copy.EXACT_TEXT_HEADING)).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "sign-eip712-fields")
    typed = json.loads(page.get_by_label("The EIP-712 typed data").inner_text())
    page.get_by_role("button", name="Sign with Test EVM Wallet").click()
    reference, token = read_token_and_open_status(page)
    assert [method for method, _ in signed] == ["eth_signTypedData_v4"]
    listed = {**typed["domain"], **typed["message"]}
    assert shown == {name: str(value) for name, value in listed.items()}  # the page listed what was signed
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"


def test_tangem_page_is_headed_as_a_transaction_and_shows_the_memo(context, live_server) -> None:
    key = solana_key(3)
    install_tangem_shaped_wallet(context, key)
    page = context.new_page()
    start(page, live_server.url, solana_address(key))
    answer_questions(page, wallet="A Tangem card", destination=SOLANA_DESTINATION, chain_label="Solana")
    expect(page.get_by_role("button", name="Get the message to sign")).to_have_count(0)  # a transaction is signed here
    page.get_by_role("button", name="Get the transaction to sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(copy.SIGN_TRANSACTION_HEADING)
    expect(page.get_by_role("heading", name=copy.SIGN_MESSAGE_HEADING, exact=True)).to_have_count(0)
    assert page.title().startswith(copy.SIGN_TRANSACTION_HEADING)
    memo = page.get_by_label("The memo your wallet shows").inner_text()
    assert memo.startswith(f"migration-portal request: I own {solana_address(key)} and ask")
    assert f"be sent to {SOLANA_DESTINATION} on Solana (solana:mainnet)" in memo
    expect(page.get_by_role("main")).to_contain_text(copy.paste_words("solana_tx"))
    assert_accessible(page)
    screenshot(page, "sign-tangem-memo")
    page.get_by_role("button", name="Sign with your Solana wallet").click()
    reference, token = read_token_and_open_status(page)
    assert api_view(live_server.url, reference, token)["status"] == "pending_review"


def test_tangem_on_evm_without_walletconnect_is_told_the_setting_and_what_works(context, live_server) -> None:
    assert live_server.settings.walletconnect_project_id is None  # the README's configuration
    holder = evm_account(4)
    page = context.new_page()
    check_eligibility(page, live_server.url, holder.address)
    page.get_by_role("link", name="prove you own this address another way").click()
    answer_questions(page, wallet="A Tangem card", destination=DESTINATION, chain_label=EVM_CHAIN)
    main = page.get_by_role("main")
    expect(main).to_contain_text(copy.WALLETCONNECT_SETTING)  # told before asking for anything to sign
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("heading", name=copy.WAYS_OFF_HEADING)).to_be_visible()
    for words in (*copy.TANGEM_OFF, copy.TANGEM_EVM_COMMANDS):
        expect(main).to_contain_text(words)
    assert "at the moment" not in main.inner_text()
    expect(page.get_by_role("heading", name="Sign with a wallet on your phone (WalletConnect)")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "sign-tangem-evm-no-walletconnect")


def test_a_rejected_request_links_to_a_new_one(context, live_server) -> None:
    holder = evm_account(5)
    install_evm_wallet(context, holder)
    page = context.new_page()
    reference, token = file_through_pages(page, live_server.url, holder)
    staff = in_thread(create_key, live_server.database_url, "rita", "reviewer")
    assert staff_post(live_server.url, "/v1/review/claim", staff)["request_id"] == reference
    staff_post(live_server.url, f"/v1/review/requests/{reference}/decision", staff,
               {"decision": "reject", "reason": "not the holder", "public_note": "Signed by another wallet."})
    page.goto(f"{live_server.url}/requests/{reference}#token={token}")
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Not approved")
    assert_accessible(page)
    screenshot(page, "request-rejected")
    page.get_by_role("link", name="Start a new request").click()
    expect(page.get_by_role("heading", name="Which address held the old token?")).to_be_visible()
