"""The staff console in a real Chromium: a reviewer's day, concurrent claims, four eyes and escalation,
CSRF (a missing token, another session's token), revocation at the next click, inert holder markup,
the keyboard; screenshots at 1280 px.

Requests are seeded by SQL (``seed_requests``; the holders' flow has its own browser tests); staff keys
are made through the domain, as ``portal staff add`` does.
"""

from __future__ import annotations

import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, in_thread, open_context, screenshot
from tests.integration.staff_helpers import create_key, revoke_key, seed_requests

THRESHOLD = 10**24
WIDTH_PX = 1280


@pytest.fixture
def server_settings() -> dict:
    return {"four_eyes_amount": str(THRESHOLD), "staff_sign_in_per_minute": 0}


def key(live_server, name: str, role: str) -> str:
    return in_thread(create_key, live_server.database_url, name, role)


def staff_context(browser, live_server):  # type: ignore[no-untyped-def]
    return open_context(browser, live_server, width=WIDTH_PX, height=900)


def sign_in(page, live_server, api_key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/staff")
    page.get_by_label("Staff API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").wait_for()


def tab_to(page, element_id: str, limit: int = 60) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def column(database_url: str, sql: str, *args):  # type: ignore[no-untyped-def]
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute(sql, args)]


def test_a_reviewers_day_by_keyboard(browser, live_server) -> None:
    rita = key(live_server, "rita", "reviewer")
    seeded = seed_requests(live_server.database_url, 2)
    seed_requests(live_server.database_url, 1, method="eip1271")
    context = staff_context(browser, live_server)
    page = context.new_page()
    page.goto(live_server.url + "/staff")
    tab_to(page, "api_key")
    page.keyboard.type(rita)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Review queue").wait_for()
    expect(page.get_by_role("row")).to_have_count(4)  # header + 3
    screenshot(page, "console-queue-1280")
    page.get_by_label("Method").select_option("eip191")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(3)
    page.get_by_label("Search").fill(seeded[1].snapshot_address.lower())
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_role("button", name=f"Claim request {str(seeded[1].request_id)[:8]}").click()
    page.get_by_text("You hold the lease").wait_for()
    assert page.locator("#challenge-text").inner_text() == f"test challenge for {seeded[1].snapshot_address} -> " \
        f"{seeded[1].destination}"
    assert "Many requests from one client" in page.get_by_role("region", name="Risk flags").inner_text()
    assert_accessible(page)
    screenshot(page, "console-evidence-1280")
    tab_to(page, "decision-approve")  # a radio group is one tab stop; arrows move within it
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Reject").is_checked()
    tab_to(page, "reason")
    page.keyboard.type("signer is not the holder we talked to")
    page.keyboard.press("Tab")
    page.keyboard.type("Please send a proof from the snapshot address.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Decision saved.").wait_for()
    assert column(live_server.database_url, "SELECT status FROM requests WHERE id = %s",
                  seeded[1].request_id) == ["rejected"]
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    sessions_ended = column(live_server.database_url, "SELECT ended_at IS NOT NULL FROM staff_sessions")
    assert sessions_ended == [True]
    context.close()
    context.watch.assert_clean()


def test_two_reviewers_claiming_at_once_never_hold_the_same_request(browser, live_server) -> None:
    keys = [key(live_server, "rita", "reviewer"), key(live_server, "remy", "reviewer")]
    seed_requests(live_server.database_url, 2)
    contexts = [staff_context(browser, live_server) for _ in keys]
    pages = [context.new_page() for context in contexts]
    for page, api_key in zip(pages, keys, strict=True):
        sign_in(page, live_server, api_key)
    buttons = [page.get_by_role("button", name="Claim next request") for page in pages]
    for button in buttons:
        button.click(no_wait_after=True)
    for page in pages:
        page.get_by_text("You hold the lease").wait_for()
    holders = column(live_server.database_url, "SELECT lease_holder FROM requests ORDER BY lease_holder")
    assert holders == ["key:remy", "key:rita"]
    assert pages[0].url != pages[1].url
    for context in contexts:
        context.close()
        context.watch.assert_clean()


def test_escalation_and_four_eyes_through_two_approvers(browser, live_server) -> None:
    rita, alma, abel = (key(live_server, n, r) for n, r in [("rita", "reviewer"), ("alma", "approver"),
                                                            ("abel", "approver")])
    big = seed_requests(live_server.database_url, 1, amount=THRESHOLD)[0]
    reviewer = staff_context(browser, live_server)
    page = reviewer.new_page()
    sign_in(page, live_server, rita)
    page.get_by_role("button", name="Claim next request").click()
    page.get_by_text("Nothing in the queue for you right now.").wait_for()  # large: approvers only
    page.get_by_role("link", name=str(big.request_id)[:8]).click()
    assert "offered to approvers only" in page.get_by_role("region", name="Lease").inner_text()
    page.get_by_label("Why approvers should decide this").fill("large amount, new destination")
    page.get_by_role("button", name="Escalate to approvers").click()
    page.get_by_role("status").get_by_text("Escalated:").wait_for()

    approvals = []
    for name, api_key in [("alma", alma), ("abel", abel)]:
        context = staff_context(browser, live_server)
        approver = context.new_page()
        sign_in(approver, live_server, api_key)
        approver.get_by_label("Risk flag").select_option("escalated")
        approver.get_by_role("button", name="Filter").click()
        expect(approver.get_by_role("row")).to_have_count(2)  # the escalated request reached the approvers
        approver.get_by_role("button", name="Claim next request").click()
        approver.get_by_text("You hold the lease").wait_for()
        approvals.append(approver.get_by_role("region", name="Four eyes").inner_text())
        approver.get_by_label("Approve").check()
        approver.get_by_label("Reason (audit log, required)").fill(f"{name}: checked signature and snapshot")
        approver.get_by_role("button", name="Save decision").click()
        approver.get_by_text("Decision saved.").wait_for()
        if name == "alma":
            screenshot(approver, "console-first-approval-1280")
        context.close()
        context.watch.assert_clean()
    assert "none given yet" in approvals[0] and "First approval by alma." in approvals[1]
    assert "key:" not in approvals[1]
    assert column(live_server.database_url, "SELECT status FROM requests") == ["approved"]
    reviewer.close()
    reviewer.watch.assert_clean()


def test_csrf_missing_is_403_and_a_revoked_key_is_refused_at_the_next_click(browser, live_server) -> None:
    rita = key(live_server, "rita", "reviewer")
    seed_requests(live_server.database_url, 1)
    context = staff_context(browser, live_server)
    page = context.new_page()
    sign_in(page, live_server, rita)
    page.evaluate("document.querySelectorAll('input[name=_csrf_token]').forEach(e => e.remove())")
    with page.expect_response(lambda r: r.url.endswith("/staff/claim-next")) as answered:
        page.get_by_role("button", name="Claim next request").click()
    assert answered.value.status == 403
    assert column(live_server.database_url, "SELECT lease_holder FROM requests") == [None]
    page.goto(live_server.url + "/staff/queue")
    in_thread(revoke_key, live_server.database_url, "rita")
    with page.expect_response(lambda r: r.url.endswith("/staff/claim-next")) as answered:
        page.get_by_role("button", name="Claim next request").click()
    assert answered.value.status == 401
    page.get_by_text("your session has ended").wait_for()
    assert column(live_server.database_url, "SELECT lease_holder FROM requests") == [None]
    context.watch.console_errors.clear()  # the browser logs the 403/401 responses themselves
    context.close()
    context.watch.assert_clean()


def test_a_token_of_another_browser_is_refused_and_the_page_sends_its_own_origin(browser, live_server) -> None:
    rita, remy = key(live_server, "rita", "reviewer"), key(live_server, "remy", "reviewer")
    seed_requests(live_server.database_url, 1)
    victim, attacker = staff_context(browser, live_server), staff_context(browser, live_server)
    page, other = victim.new_page(), attacker.new_page()
    sign_in(page, live_server, rita)
    sign_in(other, live_server, remy)
    foreign = other.locator("input[name=_csrf_token]").first.get_attribute("value")
    own = page.locator("input[name=_csrf_token]").first.get_attribute("value")
    assert foreign and own and foreign != own  # each session its own token
    page.evaluate("t => document.querySelectorAll('input[name=_csrf_token]').forEach(e => e.value = t)", foreign)
    with page.expect_response(lambda r: r.url.endswith("/staff/claim-next")) as answered:
        page.get_by_role("button", name="Claim next request").click()
    assert answered.value.status == 403
    assert answered.value.headers["cache-control"] == "no-store"
    assert column(live_server.database_url, "SELECT lease_holder FROM requests") == [None]
    page.goto(live_server.url + "/staff/queue")
    with page.expect_request(lambda r: r.url.endswith("/staff/claim-next")) as sent:
        page.get_by_role("button", name="Claim next request").click()
    page.get_by_text("You hold the lease").wait_for()
    # Chromium sends Origin "null" under the pages' Referrer-Policy: no-referrer; the own-origin rule lets the
    # form through on its Sec-Fetch-Site: same-origin (added below what Playwright reports), as the lease shows
    assert sent.value.all_headers().get("origin") in (live_server.url, "null")
    assert column(live_server.database_url, "SELECT lease_holder FROM requests") == ["key:rita"]
    victim.watch.console_errors.clear()  # the browser logs the 403 response itself
    for context in (victim, attacker):
        context.close()
        context.watch.assert_clean()


def test_holder_markup_is_shown_inert(browser, live_server) -> None:
    rita = key(live_server, "rita", "reviewer")
    request_id = seed_requests(live_server.database_url, 1)[0].request_id
    markup = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
    with psycopg.connect(live_server.database_url) as conn:
        conn.execute("UPDATE requests SET user_agent = %s WHERE id = %s", (markup, request_id))
        conn.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), %s)",
                     (request_id, "my answer " + markup))
    context = staff_context(browser, live_server)
    page = context.new_page()
    sign_in(page, live_server, rita)
    page.goto(f"{live_server.url}/staff/requests/{request_id}")
    assert markup in page.get_by_role("region", name="Proof").inner_text()
    assert ("my answer " + markup) in page.get_by_role("region", name="The holder's answers").inner_text()
    assert page.evaluate("window.pwned") is None
    assert page.locator("main img").count() == 0
    screenshot(page, "console-holder-markup-1280")
    context.close()
    context.watch.assert_clean()
