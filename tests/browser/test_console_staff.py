"""The console in Chromium for what issue 22 asked of it: a revocation confirmed on a page that works
with scripts off, the last admin key refused in words, Claim only where it can succeed, a reviewer's
work done on a 375 px phone (queue, evidence, decision), a publisher landing on a page they can use,
and the HTML 404 and favicon a browser gets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_WIDTH_PX, check_page, in_thread, open_context, screenshot
from tests.integration.staff_helpers import create_key, seed_requests

THRESHOLD = 10**24


@pytest.fixture
def server_settings() -> dict:
    return {"four_eyes_amount": str(THRESHOLD), "staff_sign_in_per_minute": 0}


def key(live_server, name: str, role: str) -> str:  # type: ignore[no-untyped-def]
    return in_thread(create_key, live_server.database_url, name, role)


def sign_in(page, live_server, api_key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/staff")
    page.get_by_label("Staff API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()


def test_revoking_is_confirmed_without_script_and_the_last_admin_is_refused(browser, live_server) -> None:
    ada = key(live_server, "ada", "admin")
    key(live_server, "rita", "reviewer")
    context = open_context(browser, live_server, width=1280, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, ada)
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Revoke rita").click()
    expect(page.get_by_role("heading", name="Revoke rita's key?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("cell", name="active")).to_have_count(2)  # cancelled: nothing revoked
    page.get_by_role("link", name="Revoke rita").click()
    page.get_by_role("button", name="Revoke rita's key").click()
    expect(page.get_by_role("status")).to_contain_text("Key revoked")
    expect(page.get_by_role("cell", name="active")).to_have_count(1)

    page.get_by_role("link", name="Revoke ada").click()
    expect(page.get_by_role("alert")).to_contain_text("ada holds the last active admin key, so it cannot be revoked")
    expect(page.get_by_role("button", name="Revoke ada's key")).to_have_count(0)
    screenshot(page, "console-last-admin-1280")
    page.get_by_role("link", name="Back to the staff list").first.click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    context.close()
    context.watch.assert_clean()


def test_a_reviewers_work_on_a_phone(browser, live_server) -> None:
    rita = key(live_server, "rita", "reviewer")
    small = seed_requests(live_server.database_url, 1)[0]
    large = seed_requests(live_server.database_url, 1, amount=THRESHOLD)[0]
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    page = context.new_page()
    sign_in(page, live_server, rita)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    check_page(page, "console-queue-375")
    expect(page.get_by_role("button", name=f"Claim request {str(small.request_id)[:8]}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Claim request {str(large.request_id)[:8]}")).to_have_count(0)
    page.get_by_role("button", name=f"Claim request {str(small.request_id)[:8]}").click()
    page.get_by_text("You hold the lease").wait_for()
    check_page(page, "console-evidence-375")
    page.get_by_label("Ask the holder for more information").check()
    page.get_by_label("Reason (audit log, required)").fill("which destination is yours?")
    page.get_by_label("Note for the holder (optional)").fill("Please tell us which wallet you use.")
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("Decision saved.").wait_for()
    page.get_by_role("link", name=str(large.request_id)[:8]).click()
    expect(page.get_by_role("region", name="Lease")).to_contain_text(
        "This request is at or above the four-eyes threshold: it is offered to approvers only.")
    check_page(page, "console-evidence-not-claimable-375")
    context.close()
    context.watch.assert_clean()


def test_a_publisher_lands_on_a_page_they_can_use(browser, live_server) -> None:
    pia = key(live_server, "pia", "publisher")
    context = open_context(browser, live_server, width=1280)
    page = context.new_page()
    sign_in(page, live_server, pia)
    expect(page.get_by_role("heading", name="Publish", exact=True)).to_be_visible()
    page.get_by_role("link", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()
    expect(page.get_by_text("You hold the publisher role.")).to_be_visible()
    page.goto(live_server.url + "/staff/queue")
    expect(page.get_by_role("alert")).to_contain_text("The review pages are for reviewers, approvers and admins")
    page.get_by_role("link", name="Go to the console's start page").click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()
    context.watch.console_errors.clear()  # the browser logs the 403 itself
    context.close()
    context.watch.assert_clean()


def test_a_browser_gets_a_404_page_and_an_icon(browser, live_server) -> None:
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX)
    page = context.new_page()
    answer = page.goto(live_server.url + "/prove/nowhere")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_page(page, "not-found-375")
    icon = page.request.get(live_server.url + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/x-icon" and len(icon.body()) < 2048
    linked = page.locator("link[rel=icon]").get_attribute("href")
    assert linked and page.request.get(live_server.url + linked).headers["content-type"].startswith("image/svg+xml")
    page.get_by_role("link", name="The portal's start page").click()
    expect(page.get_by_role("button", name="Check eligibility")).to_be_visible()
    context.watch.console_errors.clear()  # the browser logs the 404 itself
    context.close()
    context.watch.assert_clean()
