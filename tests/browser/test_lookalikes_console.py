"""The lookalike log in the staff console, in a real Chromium: most seen first, confirm and dismiss
(each audited), and a confirmed host reaches the wallet blocklist export."""

from __future__ import annotations

import httpx
import psycopg
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, in_thread, open_context, screenshot
from tests.integration.staff_helpers import create_key

SEEN = {"examp1e-claim.com": 5, "migrate-example-support.io": 9, "exarnple.org": 2}


def seed(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for host, count in SEEN.items():
            conn.execute("INSERT INTO seen_lookalikes (host, first_seen, last_seen, seen_count, reasons) "
                         "VALUES (%s, now(), now(), %s, ARRAY['one or two characters away from example.org'])",
                         (host, count))


def test_a_reviewer_confirms_and_dismisses_lookalikes(browser, live_server) -> None:
    seed(live_server.database_url)
    token = in_thread(create_key, live_server.database_url, "rita", "reviewer")
    context = open_context(browser, live_server, width=1280, height=900)
    page = context.new_page()
    page.goto(live_server.url + "/staff")
    page.get_by_label("Staff API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").wait_for()
    page.get_by_role("link", name="Lookalike links").click()
    page.get_by_role("heading", name="Lookalike links").wait_for()
    rows = page.get_by_role("row")
    expect(rows).to_have_count(4)  # header + 3
    hosts = [rows.nth(i).get_by_role("cell").first.inner_text() for i in range(1, 4)]
    assert hosts == ["migrate-example-support.io", "examp1e-claim.com", "exarnple.org"]  # by count
    assert_accessible(page)
    screenshot(page, "console-lookalikes-1280")

    page.get_by_role("button", name="Confirm migrate-example-support.io").click()
    expect(page.get_by_role("status")).to_have_text("Confirmed: the blocklist exports now list it.")
    page.get_by_role("button", name="Dismiss exarnple.org").click()
    expect(page.get_by_role("status")).to_have_text("Dismissed: the exports leave it out.")
    expect(page.get_by_role("row")).to_have_count(2)  # only the one still new
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("row", name="migrate-example-support.io")).to_contain_text("confirmed by key:rita")

    with psycopg.connect(live_server.database_url) as conn:
        statuses = dict(conn.execute("SELECT host, status FROM seen_lookalikes").fetchall())
        audit = conn.execute("SELECT action, subject, actor FROM audit_events WHERE action LIKE 'links:%' "
                             "ORDER BY seq").fetchall()
    assert statuses == {"migrate-example-support.io": "confirmed", "exarnple.org": "dismissed",
                        "examp1e-claim.com": "new"}
    assert audit == [("links:lookalike:confirmed", "lookalike:migrate-example-support.io", "key:rita"),
                     ("links:lookalike:dismissed", "lookalike:exarnple.org", "key:rita")]
    exported = httpx.get(f"{live_server.url}/v1/links/rules", params={"format": "scamsniffer-json"}).json()
    assert exported == ["migrate-example-support.io"]
    context.watch.assert_clean()
