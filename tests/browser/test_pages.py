"""Every holder page at a 375 px viewport, driven by the keyboard alone, checked with axe-core, and
photographed; eligibility with JavaScript off; errors shown as sentences that say what to do."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PHONE_WIDTH_PX, check_page, open_context, screenshot
from tests.browser.wallets import evm_account, install_evm_wallet

NOT_IN_SNAPSHOT = "0x000000000000000000000000000000000000dEaD"
DESTINATION = "0x2222222222222222222222222222222222222222"


def tab_to(page, role: str, name: str, limit: int = 60) -> None:
    """Press Tab until the element with this role and accessible name has the focus."""
    target = page.get_by_role(role, name=name, exact=True)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{role} {name!r} is not reachable with Tab")


def test_every_page_at_phone_width_with_the_keyboard_alone(browser, live_server) -> None:
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    holder = evm_account(2)
    install_evm_wallet(context, holder)
    page = context.new_page()
    page.goto(live_server.url + "/")
    check_page(page, "375-home")

    tab_to(page, "button", "Check eligibility")  # empty: the error summary links to the field
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Enter the address that held the old token.")
    check_page(page, "375-home-error")
    tab_to(page, "textbox", "Check if your address is in the snapshot")
    page.keyboard.type(holder.address)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You are in the snapshot")).to_be_visible()
    check_page(page, "375-eligibility")

    tab_to(page, "link", "prove you own this address another way")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Where do you want to receive the new token?")).to_be_visible()
    check_page(page, "375-question-chain")
    tab_to(page, "radio", "Ethereum (an 0x… address)")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="What kind of wallet holds the snapshot address?")).to_be_visible()
    tab_to(page, "button", "Continue")  # nothing chosen: an error, not a guess
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Select the kind of wallet")
    check_page(page, "375-question-wallet")
    tab_to(page, "radio", "A wallet in this browser")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Which address should receive the new token?")).to_be_visible()
    tab_to(page, "textbox", "Which address should receive the new token?")
    page.keyboard.type("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
    expect(page.get_by_text("This looks like a Solana address, but you chose Ethereum.")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Enter a Ethereum address")
    check_page(page, "375-question-destination")
    tab_to(page, "textbox", "Which address should receive the new token?")
    page.keyboard.press("Control+A")
    page.keyboard.type(DESTINATION)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    check_page(page, "375-check")

    tab_to(page, "button", "Get the message to sign")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign with Test EVM Wallet")).to_be_visible()
    check_page(page, "375-sign")
    tab_to(page, "button", "Sign with Test EVM Wallet")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    check_page(page, "375-confirmation")
    token = page.get_by_label("Your status token").inner_text().strip()

    tab_to(page, "link", "your request page")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="See your request")).to_be_visible()
    check_page(page, "375-request-token")
    tab_to(page, "textbox", "Status token")
    page.keyboard.type("not-the-token")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("We could not find a request with that reference")
    tab_to(page, "textbox", "Status token")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    check_page(page, "375-request")

    page.goto(live_server.url + "/requests")
    check_page(page, "375-request-lookup")
    context.close()
    context.watch.assert_clean()


def test_eligibility_and_the_questions_work_with_javascript_off(browser, live_server) -> None:
    context = open_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Check if your address is in the snapshot").fill("0xnot-an-address")
    page.get_by_role("button", name="Check eligibility").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter the address exactly as your wallet shows it")
    assert summary.get_by_role("link").get_attribute("href") == "#address"
    page.get_by_label("Check if your address is in the snapshot").fill(NOT_IN_SNAPSHOT)
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.get_by_role("heading", name="This address is not in the snapshot")).to_be_visible()
    expect(page.get_by_text("Nobody can add an address to it afterwards")).to_be_visible()  # the signed policy's words
    screenshot(page, "not-eligible")
    page.goto(live_server.url + "/")
    page.get_by_label("Check if your address is in the snapshot").fill(evm_account(3).address)
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.get_by_role("heading", name="You are in the snapshot")).to_be_visible()
    assert '"merkle_root"' in page.get_by_label("Merkle proof as JSON").inner_text()
    page.get_by_role("link", name="prove you own this address another way").click()
    page.wait_for_url("**/prove?**")  # the question page itself, not the result page it leaves
    page.wait_for_load_state("load")
    if page.get_by_role("heading", name="Where do you want to receive the new token?").count():
        page.get_by_label("Ethereum (an 0x… address)").check()
        page.get_by_role("button", name="Continue").click()
    page.get_by_label("My tokens were on an exchange").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Tokens held on an exchange cannot be proven here")).to_be_visible()
    expect(page.get_by_text("Ask the exchange how it handles the migration")).to_be_visible()
    screenshot(page, "exchange")  # (axe and Tab need page scripts, which this context turns off)
    context.close()
    context.watch.assert_clean()


def test_wallet_on_another_account_and_a_foreign_signature_are_explained(browser, live_server) -> None:
    context = open_context(browser, live_server)
    install_evm_wallet(context, evm_account(5), name="Wrong Account Wallet")
    page = context.new_page()
    holder = evm_account(4)
    page.goto(f"{live_server.url}/prove?address={holder.address}&chain=evm&wallet=browser")
    page.get_by_label("Which address should receive the new token?").fill(DESTINATION)  # typed, never linked
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Get the message to sign").click()
    page.get_by_role("button", name="Sign with Wrong Account Wallet").click()
    expect(page.get_by_role("status").filter(has_text="Switch to that account")).to_be_visible()
    # Pasted: a real signature of this exact text, but by another key.
    from eth_account.messages import encode_defunct

    text = page.get_by_label("The text to sign").inner_text()
    foreign = "0x" + bytes(evm_account(5).sign_message(encode_defunct(text=text)).signature).hex()
    page.get_by_role("textbox", name="Signature").fill(foreign)
    page.get_by_role("button", name="Send the signature").click()
    expect(page.get_by_role("heading", name="Your proof was not accepted")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Sign again with the wallet that holds the snapshot address")
    check_page(page, "retry")
    page.get_by_role("button", name="Get a new message to sign").click()
    expect(page.get_by_role("heading", name="Sign the message")).to_be_visible()
    context.close()
    context.watch.assert_clean()
