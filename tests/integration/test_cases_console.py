"""Staff work cases in the console: queue by kind, claim, reply, decide; CSRF and audit as for requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from portal.settings import Settings
from tests.integration.case_helpers import EXCLUDED, UNLISTED, bearer, open_case
from tests.integration.staff_helpers import ManualClock, create_key
from tests.integration.test_console_api import app_for, console_client, csrf_of, sign_in


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def browser(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with console_client(app_for(settings, clock)) as client:
        yield client


def test_a_reviewer_works_a_case_in_the_console(browser: TestClient, database_url: str, clock: ManualClock) -> None:
    question = open_case(browser, UNLISTED, "question", "Which chain do I claim on?").json()
    clock.advance(1)
    missing = open_case(browser, EXCLUDED, "not_in_snapshot", "<b>bold</b> claim").json()
    assert sign_in(browser, create_key(database_url, "rita", "reviewer")).status_code == 303
    queue = browser.get("/staff/cases")
    assert queue.status_code == 200 and 'href="/staff/cases"' in queue.text
    assert queue.text.index(question["case_id"][:8]) < queue.text.index(missing["case_id"][:8])
    only = browser.get("/staff/cases", params={"kind": "not_in_snapshot"}).text
    assert missing["case_id"][:8] in only and question["case_id"][:8] not in only
    searched = browser.get("/staff/cases", params={"q": EXCLUDED.address.lower()}).text
    assert missing["case_id"][:8] in searched and question["case_id"][:8] not in searched
    assert browser.get("/staff/cases", params={"kind": "nope"}).status_code == 200  # the form says what is wrong

    page = browser.get(f"/staff/cases/{missing['case_id']}")
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in page.text and "excluded.category" in page.text
    forged = browser.post(f"/staff/cases/{missing['case_id']}/claim", data={"_csrf_token": "x"})
    assert forged.status_code == 403
    claimed = browser.post(f"/staff/cases/{missing['case_id']}/claim", data={"_csrf_token": csrf_of(page)},
                           follow_redirects=False)
    assert claimed.status_code == 303
    page = browser.get(f"/staff/cases/{missing['case_id']}")
    assert "Send reply" in page.text
    empty = browser.post(f"/staff/cases/{missing['case_id']}/messages", data={"_csrf_token": csrf_of(page),
                                                                               "text": "a\x00"})
    assert empty.status_code == 400 and 'href="#text"' in empty.text
    replied = browser.post(f"/staff/cases/{missing['case_id']}/messages",
                           data={"_csrf_token": csrf_of(page), "text": "Which exchange?"}, follow_redirects=False)
    assert replied.status_code == 303
    holder = browser.get(f"/v1/cases/{missing['case_id']}", headers=bearer(missing["status_token"])).json()
    assert holder["messages"][-1] == {"at": holder["messages"][-1]["at"], "author": "staff", "text": "Which exchange?"}
    no_amount = browser.post(f"/staff/cases/{missing['case_id']}/decision",
                             data={"_csrf_token": csrf_of(page), "outcome": "upheld", "reason": "ok"})
    assert no_amount.status_code == 400 and 'href="#amount"' in no_amount.text
    decided = browser.post(f"/staff/cases/{missing['case_id']}/decision",
                           data={"_csrf_token": csrf_of(page), "outcome": "upheld", "reason": "Withdrawn in time.",
                                 "amount": "7000"}, follow_redirects=False)
    assert decided.status_code == 303
    final = browser.get(f"/staff/cases/{missing['case_id']}").text
    assert "review:case:decided" in final and "Withdrawn in time." in final and "Send reply" not in final
    assert [c["amount"] for c in browser.get("/v1/corrections").json()] == ["7000"]


def test_holders_and_signed_out_visitors_never_reach_the_console_cases(browser: TestClient) -> None:
    case = open_case(browser, UNLISTED, "question").json()
    for path in ("/staff/cases", f"/staff/cases/{case['case_id']}"):
        response = browser.get(path, headers=bearer(case["status_token"]))
        assert response.status_code in (401, 303) and case["status_token"] not in response.text
