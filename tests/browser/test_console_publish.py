"""Publishing in the console in a real Chromium (issue 22 item 8): two publishers, each in their own
browser with their own EIP-6963 wallet holding one of the demo's DEMO root keys, sign the next
version of the demo policy; Publish unlocks at 2 of 2; the published version then verifies with
``portal policy verify --url`` from the demo root's sha256, and the public page says Verified.

The wallets are ``tests.browser.wallets.install_evm_wallet`` backed by the very keys the live demo
root lists (``DEMO-KEYS.json``), so the server checks real signatures exactly as it checks a
hardware wallet's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from eth_account import Account
from playwright.sync_api import expect

from policy.document import parse_document
from policy.scaffold import next_document
from portal.cli import main
from portal.domain.audit import key_for
from tests.browser.conftest import PHONE_WIDTH_PX, LiveServer, assert_accessible, in_thread, open_context, screenshot
from tests.browser.wallets import install_evm_wallet
from tests.integration.staff_helpers import create_key

WIDTH_PX = 1280


def demo_accounts(tmp_path: Path) -> list:
    keys = json.loads((tmp_path / "demo-policy" / "DEMO-KEYS.json").read_text())["demo_private_keys"]
    return [Account.from_key(key) for key in keys]


def signed_in_publisher(browser, live_server: LiveServer, name: str, account, wallet_name: str):  # type: ignore[no-untyped-def]
    """A publisher's own browser, with a wallet holding ``account``, signed in to the console."""
    api_key = in_thread(create_key, live_server.database_url, name, "publisher", key_for(live_server.settings))
    context = open_context(browser, live_server, width=WIDTH_PX, height=900)
    signed = install_evm_wallet(context, account, name=wallet_name)
    page = context.new_page()
    page.goto(live_server.url + "/staff")
    page.get_by_label("Staff API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Publish").wait_for()  # a publisher lands on their own page
    return context, page, signed


def test_two_wallets_sign_and_the_published_version_verifies(browser, live_server: LiveServer,
                                                             tmp_path: Path) -> None:
    first, second = demo_accounts(tmp_path)
    current = parse_document((tmp_path / "demo-policy" / "official.md").read_bytes())
    v2 = tmp_path / "official-v2.md"
    v2.write_text(next_document(current, now=dt.datetime.now(dt.UTC), days=60), encoding="utf-8", newline="")
    line = f"Official policy official version 2\nsha256:{hashlib.sha256(v2.read_bytes()).hexdigest()}\n" \
           f"prev:{current.sha256}"

    pia_context, pia, pia_signed = signed_in_publisher(browser, live_server, "pia", first, "Pia's Wallet")
    pia.get_by_label("The document file").set_input_files(str(v2))
    pia.get_by_role("button", name="Upload").click()
    pia.get_by_role("heading", name="Policy official version 2").wait_for()
    assert pia.locator("#statement").inner_text() == line  # the exact statement, shown before anyone signs
    expect(pia.locator("#progress")).to_contain_text("Signed by 0 of the 2 required signers")
    publish = pia.get_by_role("button", name="Publish", exact=True)
    expect(publish).to_be_disabled()
    assert_accessible(pia)
    pia.get_by_role("button", name="Sign with Pia's Wallet").click()
    expect(pia.locator("#progress")).to_contain_text("Signed by 1 of the 2")
    expect(publish).to_be_disabled()
    assert [method for method, _ in pia_signed] == ["personal_sign"]
    # Her wallet cannot sign twice: its account has signed, and the page says so instead of asking again.
    pia.get_by_role("button", name="Sign with Pia's Wallet").click()
    expect(pia.get_by_role("status").filter(has_text="has already signed")).to_be_visible()
    assert len(pia_signed) == 1
    pia.set_viewport_size({"width": PHONE_WIDTH_PX, "height": 800})
    for path in (pia.url, live_server.url + "/staff/publish"):
        pia.goto(path)
        assert pia.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH_PX, f"{path} scrolls sideways"
        assert_accessible(pia)
    screenshot(pia, "console-publish-375")

    pete_context, pete, pete_signed = signed_in_publisher(browser, live_server, "pete", second, "Pete's Wallet")
    pete.get_by_role("link", name="Policy official version 2").click()
    expect(pete.locator("#progress")).to_contain_text("Signed by 1 of the 2")
    pete.get_by_role("button", name="Sign with Pete's Wallet").click()
    expect(pete.locator("#progress")).to_contain_text("Signed by 2 of the 2 required signers of trust root "
                                                      "version 1. Ready to publish.")
    screenshot(pete, "console-publish-ready-1280")
    pete.get_by_role("button", name="Publish", exact=True).click()
    expect(pete.get_by_role("status").filter(has_text="Published.")).to_be_visible()
    assert len(pete_signed) == 1

    # The published version verifies from the demo root, by the command line and in the browser.
    root_sha256 = hashlib.sha256((tmp_path / "demo-policy" / "root.toml").read_bytes()).hexdigest()
    code = in_thread(main, ["policy", "verify", "--url", f"{live_server.url}/policy/official",
                            "--root-sha256", root_sha256])
    assert code == 0
    pete.get_by_role("link", name="See it as holders see it").click()
    status = pete.get_by_role("status")
    expect(status).to_have_attribute("data-verdict", "verified", timeout=20_000)
    assert "Verified in your browser: version 2" in status.inner_text()
    for context in (pia_context, pete_context):
        context.close()
        context.watch.assert_clean()
