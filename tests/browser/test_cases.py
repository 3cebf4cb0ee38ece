"""A case in a real Chromium: a holder the snapshot left out reads why, asks about the address, proves it
with a pasted signature (a real eth-account key: Hardhat account 19, on the demo's exclude list), and
talks with a reviewer who works the case in the console and upholds it."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.domain.cases import STAFF_ONLY_HERE
from tests.browser.conftest import assert_accessible, in_thread, open_context, screenshot
from tests.browser.test_console import sign_in
from tests.integration.case_helpers import DESTINATION, EXCLUDED, sign
from tests.integration.staff_helpers import create_key


def test_a_holder_not_in_the_snapshot_asks_and_staff_answer_on_the_portal(browser, live_server) -> None:
    base = live_server.url
    holder = open_context(browser, live_server).new_page()
    holder.goto(base + "/")
    holder.get_by_label("Check if your address is in the snapshot").fill(EXCLUDED.address)
    holder.get_by_role("button", name="Check eligibility").click()
    expect(holder.get_by_role("heading", name="This address was left out on purpose")).to_be_visible()
    expect(holder.get_by_role("main")).to_contain_text("DEMO exchange hot wallet")
    expect(holder.get_by_role("main")).to_contain_text("Exclude list sha256")
    holder.get_by_role("link", name="Ask about this address").click()

    expect(holder.get_by_role("main")).to_contain_text(STAFF_ONLY_HERE)
    holder.get_by_label("My address is not in the snapshot").check()
    holder.get_by_label("What happened?").fill("I withdrew my tokens from the exchange a week before the snapshot.")
    holder.get_by_label("Where should tokens go if staff correct your allocation?").fill(DESTINATION)
    assert_accessible(holder)
    holder.get_by_role("button", name="Continue").click()

    expect(holder.get_by_role("heading", name="Sign to prove the address is yours")).to_be_visible()
    message = holder.locator("#case-message").text_content()
    assert message and EXCLUDED.address in message
    holder.get_by_label("The signature").fill(sign(EXCLUDED, message))  # the holder's wallet, outside the page
    holder.get_by_role("button", name="Open my case").click()
    expect(holder.get_by_role("heading", name="Your case is open")).to_be_visible()
    token = holder.get_by_label("Your status token").inner_text().strip()
    case_id = holder.locator("main .panel code").inner_text().strip()
    expect(holder.get_by_role("main")).to_contain_text(STAFF_ONLY_HERE)
    assert token not in holder.url
    screenshot(holder, "case-opened")

    staff = open_context(browser, live_server, width=1280, height=900).new_page()
    sign_in(staff, live_server, in_thread(create_key, live_server.database_url, "rita", "reviewer"))
    staff.get_by_role("link", name="Cases").click()
    staff.get_by_label("Kind").select_option("not_in_snapshot")
    staff.get_by_role("button", name="Filter").click()
    staff.get_by_role("link", name=case_id[:8]).click()
    expect(staff.get_by_role("main")).to_contain_text("I withdrew my tokens from the exchange")
    expect(staff.get_by_role("main")).to_contain_text("exchange")
    staff.get_by_role("button", name="Claim this case").click()
    expect(staff.get_by_text("Claimed: the case is yours for the lease.")).to_be_visible()
    staff.get_by_label("Your reply (the holder reads it on their case page)").fill("Which exchange, and when?")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_text("Reply sent")).to_be_visible()
    assert_accessible(staff)

    holder.goto(f"{base}/cases/{case_id}#token={token}")  # the fragment never reaches the server
    expect(holder.get_by_role("heading", name="Your case")).to_be_visible()
    expect(holder.get_by_role("main")).to_contain_text("Which exchange, and when?")
    expect(holder.get_by_role("main")).to_contain_text(STAFF_ONLY_HERE)
    holder.get_by_label("Write to staff").fill("The DEMO exchange, on 1 May.")
    holder.get_by_role("button", name="Send").click()
    expect(holder.get_by_role("main")).to_contain_text("The DEMO exchange, on 1 May.")
    assert_accessible(holder)
    screenshot(holder, "case-thread")

    staff.reload()
    expect(staff.get_by_role("main")).to_contain_text("The DEMO exchange, on 1 May.")
    staff.get_by_label("Upheld (give the corrected amount)").check()
    staff.get_by_label("Corrected amount (snapshot base units, for upheld)").fill("250000000000000000000")
    staff.get_by_label("Reason (the holder reads it)").fill("The withdrawal came after the snapshot block.")
    staff.get_by_role("button", name="Save decision").click()
    expect(staff.get_by_text("Decision saved.")).to_be_visible()
    expect(staff.get_by_role("main")).to_contain_text("review:case:decided")

    holder.goto(f"{base}/cases/{case_id}#token={token}")
    expect(holder.get_by_role("main")).to_contain_text("Upheld")
    expect(holder.get_by_role("main")).to_contain_text("The withdrawal came after the snapshot block.")
    expect(holder.get_by_role("button", name="Send")).to_have_count(0)
