"""Canned replies (issue 23): admins keep them, audited; staff who work cases list them and send one."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from litestar.testing import TestClient

from portal.settings import Settings
from tests.integration.case_helpers import UNLISTED, bearer, open_case
from tests.integration.staff_helpers import ManualClock, create_key
from tests.integration.test_console_api import app_for, console_client, csrf_of, sign_in

ADMIN_PATH = "/v1/admin/canned-replies"
LIST_PATH = "/v1/review/canned-replies"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with console_client(app_for(settings, clock)) as test_client:
        yield test_client


@pytest.fixture
def staff(database_url: str) -> dict[str, dict[str, str]]:
    return {name: bearer(create_key(database_url, name, role)) for name, role in
            (("ada", "admin"), ("rita", "reviewer"), ("ann", "approver"), ("pat", "publisher"))}


def audit_of(database_url: str, subject_prefix: str) -> list[tuple[str, str, dict]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT action, actor, data FROM audit_events WHERE subject LIKE %s ORDER BY seq",
                            (subject_prefix + "%",)).fetchall()
    return [(action, actor, data) for action, actor, data in rows]


def assert_problem(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_an_admin_keeps_them_and_every_change_is_audited(client: TestClient, staff: dict, database_url: str) -> None:
    made = client.post(ADMIN_PATH, json={"title": "Exchange at the snapshot", "text": "Which exchange held them?\n\n"
                                                                                      "\tAnd when?"},
                       headers=staff["ada"])
    assert made.status_code == 201, made.text
    reply = made.json()
    assert reply["created_by"] == reply["updated_by"] == "key:ada"
    assert reply["text"] == "Which exchange held them?\n\n\tAnd when?"  # line breaks kept
    assert client.post(ADMIN_PATH, json={"title": "Exchange at the snapshot", "text": "again"},
                       headers=staff["ada"]).json()["code"] == "title_taken"
    changed = client.put(f"{ADMIN_PATH}/{reply['id']}", json={"title": "Exchange", "text": "Which exchange, and when?"},
                         headers=staff["ada"])
    assert changed.status_code == 200 and changed.json()["text"] == "Which exchange, and when?"
    listed = client.get(LIST_PATH, headers=staff["rita"])
    assert [(r["title"], r["text"]) for r in listed.json()] == [("Exchange", "Which exchange, and when?")]
    assert client.delete(f"{ADMIN_PATH}/{reply['id']}", headers=staff["ada"]).status_code == 204
    assert client.get(LIST_PATH, headers=staff["rita"]).json() == []
    assert_problem(client.delete(f"{ADMIN_PATH}/{reply['id']}", headers=staff["ada"]), 404, "canned_reply_id")
    events = audit_of(database_url, f"canned_reply:{reply['id']}")
    assert [(action, actor, data["title"]) for action, actor, data in events] == [
        ("staff:canned_reply:created", "key:ada", "Exchange at the snapshot"),
        ("staff:canned_reply:updated", "key:ada", "Exchange"),
        ("staff:canned_reply:deleted", "key:ada", "Exchange")]
    assert events[1][2]["text"] == "Which exchange, and when?"


def test_only_admins_change_them_and_only_case_workers_read_them(client: TestClient, staff: dict,
                                                                 database_url: str) -> None:
    body = {"title": "Deadline", "text": "The claim window closed on the date the policy names."}
    for name in ("rita", "ann", "pat"):
        assert_problem(client.post(ADMIN_PATH, json=body, headers=staff[name]), 403, "admin")
    reply = client.post(ADMIN_PATH, json=body, headers=staff["ada"]).json()
    for name in ("rita", "ann"):
        assert_problem(client.put(f"{ADMIN_PATH}/{reply['id']}", json=body, headers=staff[name]), 403, "admin")
        assert_problem(client.delete(f"{ADMIN_PATH}/{reply['id']}", headers=staff[name]), 403, "admin")
    assert client.get(LIST_PATH, headers=staff["rita"]).json()[0]["id"] == reply["id"]
    assert client.get(LIST_PATH, headers=staff["ada"]).status_code == 200
    assert client.get(LIST_PATH, headers=staff["pat"]).status_code == 403  # a publisher does not work cases
    assert client.get(LIST_PATH).status_code == 401
    assert [a for a, _, _ in audit_of(database_url, "canned_reply:")] == ["staff:canned_reply:created"]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "", "text": "x"}, "title"),
    ({"title": "t", "text": "   "}, "text"),
    ({"title": "t", "text": "a\x00b"}, "text"),
    ({"title": "t\x07", "text": "ok"}, "title"),
    ({"title": "t" * 121, "text": "ok"}, "title"),
    ({"title": "t", "text": "b" * 4001}, "text"),
    ({"title": "t", "text": "ok", "extra": 1}, "extra"),
    ({"title": "t"}, "text"),
    ({"title": "two\nlines", "text": "ok"}, "title"),
    ({"title": "tab\tbed", "text": "ok"}, "title"),
])
def test_bad_input_is_a_400_naming_the_field(client: TestClient, staff: dict, body: dict, field: str) -> None:
    assert_problem(client.post(ADMIN_PATH, json=body, headers=staff["ada"]), 400, field)


def test_a_reviewer_sends_a_canned_reply_into_a_case(client: TestClient, staff: dict, database_url: str) -> None:
    reply = client.post(ADMIN_PATH, json={"title": "Which chain", "text": "You claim on the chain your destination "
                                                                          "is on."}, headers=staff["ada"]).json()
    case = open_case(client, UNLISTED, "question", "Which chain do I claim on?").json()
    path = f"/v1/review/cases/{case['case_id']}"
    assert client.post(f"{path}/claim", headers=staff["rita"]).status_code == 200
    assert_problem(client.post(f"{path}/canned-reply", json={"canned_reply_id": reply["id"]}, headers=staff["ann"]),
                   409, "lease")  # rita holds the lease
    sent = client.post(f"{path}/canned-reply", json={"canned_reply_id": reply["id"]}, headers=staff["rita"])
    assert sent.status_code == 200, sent.text
    holder = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(case["status_token"])).json()
    assert holder["messages"][-1]["author"] == "staff"
    assert holder["messages"][-1]["text"] == "You claim on the chain your destination is on."
    assert_problem(client.post(f"{path}/canned-reply", json={"canned_reply_id": "nope"}, headers=staff["rita"]), 400,
                   "canned_reply_id")
    assert_problem(client.post(f"{path}/canned-reply", json={}, headers=staff["rita"]), 400, "canned_reply_id")
    gone = client.post(f"{path}/canned-reply", json={"canned_reply_id": "00000000-0000-4000-8000-000000000000"},
                       headers=staff["rita"])
    assert_problem(gone, 404, "canned_reply_id")
    assert client.post(f"{path}/canned-reply", json={"canned_reply_id": reply["id"]},
                       headers=staff["pat"]).status_code == 403  # a publisher does not work cases
    client.put(f"{ADMIN_PATH}/{reply['id']}", json={"title": "Which chain", "text": "Changed later."},
               headers=staff["ada"])
    again = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(case["status_token"])).json()
    assert [m["text"] for m in again["messages"]].count("You claim on the chain your destination is on.") == 1


def test_the_console_admin_page_and_the_case_page(client: TestClient, database_url: str) -> None:
    case = open_case(client, UNLISTED, "question", "Is this link real?").json()
    assert sign_in(client, create_key(database_url, "ada", "admin")).status_code == 303
    page = client.get("/staff/admin/canned-replies")
    assert page.status_code == 200 and "No canned replies yet." in page.text
    assert 'href="/staff/admin/canned-replies"' in client.get("/staff/home").text
    assert client.post("/staff/admin/canned-replies", data={"_csrf_token": "x", "title": "t", "text": "b"}
                       ).status_code == 403
    bad = client.post("/staff/admin/canned-replies", data={"_csrf_token": csrf_of(page), "title": "Link",
                                                           "text": "a\x00"})
    assert bad.status_code == 400 and 'href="#text"' in bad.text and 'value="Link"' in bad.text
    two_lines = client.post("/staff/admin/canned-replies", data={"_csrf_token": csrf_of(page), "title": "Two\nlines",
                                                                 "text": "ok"})
    assert two_lines.status_code == 400 and 'href="#title"' in two_lines.text
    added = client.post("/staff/admin/canned-replies", data={"_csrf_token": csrf_of(page), "title": "Official link",
                                                             "text": "Only <this> domain is ours.\r\n\r\nThanks."},
                        follow_redirects=False)
    assert added.status_code == 303
    listing = client.get("/staff/admin/canned-replies").text
    assert "Only &lt;this&gt; domain is ours." in listing  # line breaks kept, markup shown as text
    with psycopg.connect(database_url) as conn:
        (reply_id,) = conn.execute("SELECT id FROM canned_replies").fetchone()  # type: ignore[misc]
    edit = client.get(f"/staff/admin/canned-replies/{reply_id}")
    saved = client.post(f"/staff/admin/canned-replies/{reply_id}", data={
        "_csrf_token": csrf_of(edit), "title": "Official link", "text": "Only this domain is ours."},
        follow_redirects=False)
    assert saved.status_code == 303

    case_page = client.get(f"/staff/cases/{case['case_id']}")
    client.post(f"/staff/cases/{case['case_id']}/claim", data={"_csrf_token": csrf_of(case_page)})
    picked = client.get(f"/staff/cases/{case['case_id']}", params={"canned": str(reply_id)})
    assert picked.status_code == 200 and "Official link</option>" in picked.text
    assert ">Only this domain is ours.</textarea>" in picked.text
    assert client.get(f"/staff/cases/{case['case_id']}", params={"canned": "nope"}).status_code == 400
    missing = client.get(f"/staff/cases/{case['case_id']}", params={"canned": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 404

    deleted = client.post(f"/staff/admin/canned-replies/{reply_id}/delete", data={"_csrf_token": csrf_of(edit)},
                          follow_redirects=False)
    assert deleted.status_code == 303
    assert [a for a, _, _ in audit_of(database_url, "canned_reply:")] == [
        "staff:canned_reply:created", "staff:canned_reply:updated", "staff:canned_reply:deleted"]


def test_a_reviewer_cannot_open_the_admin_page(client: TestClient, database_url: str) -> None:
    assert sign_in(client, create_key(database_url, "rita", "reviewer")).status_code == 303
    assert client.get("/staff/admin/canned-replies").status_code == 403
    home = client.get("/staff/home").text
    assert 'href="/staff/admin/canned-replies"' not in home
