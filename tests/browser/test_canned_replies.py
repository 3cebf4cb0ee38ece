"""Canned replies in a real Chromium: an admin keeps one in the console, and a reviewer, with scripts off,
picks it on a case's page, reads it in the reply box and sends it; the holder reads it in their thread."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, in_thread, open_context, screenshot
from tests.browser.test_console import sign_in
from tests.integration.case_helpers import UNLISTED, bearer, sign
from tests.integration.staff_helpers import create_key

CANNED_TEXT = "Only this domain is ours. Staff never write to you first on a chat server."


def open_question(page, base: str) -> dict:  # type: ignore[no-untyped-def]
    """A question case opened through the API with a real key's signature."""
    asked = page.request.post(base + "/v1/challenges", data={
        "address": UNLISTED.address, "destination": "0x2222222222222222222222222222222222222222",
        "method": "eip191", "purpose": "case"}).json()
    opened = page.request.post(base + "/v1/cases", data={
        "challenge_id": asked["challenge_id"], "kind": "question", "text": "Is the link in the chat real?",
        "signature": sign(UNLISTED, asked["message"])})
    assert opened.status == 201, opened.text()
    return opened.json()


def test_an_admin_keeps_a_canned_reply_and_a_reviewer_sends_it(browser, live_server) -> None:
    base = live_server.url
    admin = open_context(browser, live_server, width=1280, height=900).new_page()
    sign_in(admin, live_server, in_thread(create_key, live_server.database_url, "ada", "admin"))
    admin.get_by_role("link", name="Canned replies").first.click()
    expect(admin.get_by_role("heading", name="Canned replies")).to_be_visible()
    admin.get_by_role("button", name="Add reply").click()  # empty: the error summary names the field
    expect(admin.get_by_role("link", name="Give the reply a title")).to_be_visible()
    admin.get_by_label("Title (staff pick the reply by it)").fill("Is this link real")
    admin.get_by_label("Text (the holder reads it on their case page)").fill("Only this domain is ours.")
    admin.get_by_role("button", name="Add reply").click()
    expect(admin.get_by_text("Canned reply added")).to_be_visible()
    admin.get_by_role("link", name="Edit Is this link real").click()
    admin.get_by_label("Text (the holder reads it on their case page)").fill(CANNED_TEXT)
    admin.get_by_role("button", name="Save reply").click()
    expect(admin.get_by_text("Canned reply saved.")).to_be_visible()
    expect(admin.get_by_role("main")).to_contain_text("Staff never write to you first")
    assert_accessible(admin)
    screenshot(admin, "canned-replies-admin")

    case = open_question(admin, base)
    reviewer_context = open_context(browser, live_server, width=1280, height=900, java_script_enabled=False)
    reviewer = reviewer_context.new_page()
    sign_in(reviewer, live_server, in_thread(create_key, live_server.database_url, "rita", "reviewer"))
    expect(reviewer.get_by_role("link", name="Canned replies")).to_have_count(0)  # an admin's page
    reviewer.goto(f"{base}/staff/cases/{case['case_id']}")
    reviewer.get_by_role("button", name="Claim this case").click()
    expect(reviewer.get_by_text("Claimed: the case is yours for the lease.")).to_be_visible()
    reviewer.get_by_label("Canned reply").select_option(label="Is this link real")
    reviewer.get_by_role("button", name="Put in the reply box").click()
    reply_box = reviewer.get_by_label("Your reply (the holder reads it on their case page)")
    expect(reply_box).to_have_value(CANNED_TEXT)
    reviewer.get_by_role("button", name="Send reply").click()
    expect(reviewer.get_by_text("Reply sent")).to_be_visible()
    expect(reviewer.locator(".case-thread")).to_contain_text(CANNED_TEXT)
    screenshot(reviewer, "canned-reply-sent")

    thread = reviewer.request.get(f"{base}/v1/cases/{case['case_id']}", headers=bearer(case["status_token"])).json()
    assert [(m["author"], m["text"]) for m in thread["messages"]] == [
        ("holder", "Is the link in the chat real?"), ("staff", CANNED_TEXT)]
    reviewer_context.close()
