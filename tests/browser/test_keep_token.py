"""What is shown once can be kept (issue 22, item 2), in Chromium.

The confirmation page's status token and the result page's Merkle proof each get Copy and Download
buttons that work: the test reads the clipboard and the downloaded file. Without JavaScript the
token sits in one selectable line that does not wrap, even at phone width.
"""

from __future__ import annotations

from pathlib import Path

from eth_account.messages import encode_defunct
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_WIDTH_PX, LiveServer, open_context
from tests.browser.wallets import evm_account

DESTINATION = "0x4444444444444444444444444444444444444444"


def file_a_request(page, base: str, index: int) -> None:
    """The paste path, which works with or without JavaScript: type, sign elsewhere, paste."""
    holder = evm_account(index)
    page.goto(f"{base}/prove?address={holder.address}&chain=evm&wallet=browser")
    page.get_by_label("Which address should receive the new token?").fill(DESTINATION)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Get the message to sign").click()
    text = page.get_by_label("The text to sign").inner_text()
    signature = "0x" + bytes(holder.sign_message(encode_defunct(text=text)).signature).hex()
    page.get_by_role("textbox", name="Signature").fill(signature)
    page.get_by_role("button", name="Send the signature").click()
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()


def clipboard_after(page, button_name: str) -> str:
    page.get_by_role("button", name=button_name).click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    return page.evaluate("navigator.clipboard.readText()")


def downloaded(page, button_name: str) -> tuple[str, str]:
    with page.expect_download() as started:
        page.get_by_role("button", name=button_name).click()
    download = started.value
    return download.suggested_filename, Path(download.path()).read_text()


def test_the_status_token_can_be_copied_and_downloaded(browser, live_server: LiveServer) -> None:
    context = open_context(browser, live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    file_a_request(page, live_server.url, 6)
    token = page.get_by_label("Your status token").inner_text().strip()
    reference = page.locator("main .panel code").inner_text().strip()
    assert len(token) >= 43
    assert clipboard_after(page, "Copy your status token") == token
    name, text = downloaded(page, "Download reference and status token, as saved in the file")
    assert name == f"migration-request-{reference}.txt"
    assert f"Request: {reference}\nStatus token: {token}\n" in text and "Keep this file private" in text
    context.close()
    context.watch.assert_clean()


def test_the_merkle_proof_can_be_copied_and_downloaded(browser, live_server: LiveServer) -> None:
    context = open_context(browser, live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/eligibility?address={evm_account(7).address}")
    expect(page.get_by_role("heading", name="You are in the snapshot")).to_be_visible()
    shown = page.get_by_label("Merkle proof as JSON").inner_text()
    assert '"merkle_root"' in shown
    assert clipboard_after(page, "Copy merkle proof as JSON") == shown
    name, text = downloaded(page, "Download merkle proof as JSON")
    assert name == "merkle-proof.json" and text == shown
    context.close()
    context.watch.assert_clean()


def test_without_javascript_the_token_is_one_selectable_line(browser, live_server: LiveServer) -> None:
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740, java_script_enabled=False)
    page = context.new_page()
    file_a_request(page, live_server.url, 8)
    page.wait_for_load_state("load")  # the stylesheet applied before its rules are read
    box = page.get_by_label("Your status token")
    token = box.inner_text().strip()
    style = box.evaluate("e => { const s = getComputedStyle(e); return [s.whiteSpace, s.userSelect, s.overflowX]; }")
    assert style == ["pre", "all", "auto"], style
    line = float(box.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 0")) or 24.0
    padding = box.evaluate("e => { const s = getComputedStyle(e); "
                           "return parseFloat(s.paddingTop) + parseFloat(s.paddingBottom); }")
    assert box.bounding_box()["height"] - padding < 1.8 * line  # one line, not two
    assert page.get_by_role("button", name="Copy your status token").count() == 0  # no script, no dead button
    assert len(token) >= 43
    context.close()
    context.watch.assert_clean()
