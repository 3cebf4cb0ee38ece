"""Issue 19 through HTTP on a real database: the console under hostile requests, and what nobody may cache.

CSRF: a token of another session, an attacker's own cookie and token tossed into the victim's browser,
and a request from another origin (or with no origin at all) are each refused with a 403 problem, and
nothing changes; the sign-in form's token is bound to a ``__Host-`` pre-session cookie. The allowlist
is shown in the console to exactly the roles ``GET /v1/allowlist`` admits. Every console response,
and the holder's own view of a request (JSON and page), is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest
from litestar.testing import TestClient

from portal.domain.staff import ROLES
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, bearer, create_key, seed_requests
from tests.integration.test_console_api import app_for, console_client, csrf_of, sign_in

OWN_ORIGIN = "https://portal.example.org"  # the settings fixture's PORTAL_PUBLIC_URL


@contextlib.contextmanager
def second_browser(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """Another browser on the running app (entering a second TestClient would run its lifespan again)."""
    yield console_client(app)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with console_client(app_for(settings, ManualClock())) as client:
        yield client


def evm_snapshot_id(client: TestClient) -> str:
    return next(m["id"] for m in client.get("/v1/snapshots").json() if m["chain"] == "evm")


def lease_holders(database_url: str) -> list[str | None]:
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute("SELECT lease_holder FROM requests ORDER BY id")]


def assert_csrf_refused(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "csrf_failed" and problem["field"] == field, problem
    assert response.headers["cache-control"] == "no-store"


def test_a_token_of_another_session_is_refused(api: TestClient, database_url: str) -> None:
    seed_requests(database_url, 1)
    rita, remy = create_key(database_url, "rita", "reviewer"), create_key(database_url, "remy", "reviewer")
    sign_in(api, rita)
    with second_browser(api.app) as attacker:
        sign_in(attacker, remy)
        foreign = csrf_of(attacker.get("/staff/queue"))
        assert_csrf_refused(api.post("/staff/claim-next", data={"_csrf_token": foreign}, follow_redirects=False),
                            "_csrf_token")
    assert lease_holders(database_url) == [None]
    own = csrf_of(api.get("/staff/queue"))
    assert own != foreign
    assert api.post("/staff/claim-next", data={"_csrf_token": own}, follow_redirects=False).status_code == 303
    assert lease_holders(database_url) == ["key:rita"]


def test_a_tossed_cookie_and_its_token_are_refused_with_the_victims_session(api: TestClient,
                                                                           database_url: str) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    victim_session = api.cookies["__Host-portal_staff"]
    with second_browser(api.app) as attacker:
        # the attacker's own matching pair: a pre-session cookie and the token the sign-in page bound to it
        token = csrf_of(attacker.get("/staff"))
        cookie = attacker.cookies["__Host-portal_sign_in"]
        tossed = {"__Host-portal_staff": victim_session, "__Host-portal_sign_in": cookie,
                  # and what Litestar's double-submit accepted: any cookie equal to the token
                  "portal_csrf": token, "__Host-portal_csrf": token}
        attacker.cookies.clear()
        for name, value in tossed.items():
            attacker.cookies.set(name, value)
        refused = attacker.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": token},
                                follow_redirects=False)
    assert_csrf_refused(refused, "_csrf_token")
    assert lease_holders(database_url) == [None]
    claimed = api.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": csrf_of(api.get("/staff/queue"))},
                       follow_redirects=False)
    assert claimed.status_code == 303 and lease_holders(database_url) == ["key:rita"]


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example.net"},
    {"Origin": "https://staff.portal.example.org"},  # a sibling: same site, another origin
    {"Origin": "http://portal.example.org"},  # the same host over plain http
    {"Origin": "https://portal.example.org:8443"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null", "Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example.net", "Sec-Fetch-Site": "same-origin", "Referer": OWN_ORIGIN + "/staff"},
    {"Referer": "https://evil.example.net/staff/queue"},
    {},  # no Origin and no other evidence
])
def test_a_state_changing_post_from_another_or_no_origin_is_refused(api: TestClient, database_url: str,
                                                                     headers: dict[str, str]) -> None:
    seed_requests(database_url, 1)
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    token = csrf_of(api.get("/staff/queue"))
    api.headers.pop("Origin")
    refused = api.post("/staff/claim-next", data={"_csrf_token": token}, headers=headers, follow_redirects=False)
    assert_csrf_refused(refused, "origin")
    assert lease_holders(database_url) == [None]
    assert "origin" not in {name.lower() for name in api.headers}  # the refusal was the headers' doing
    with second_browser(api.app) as other:  # and the sign-in form is held to the same rule
        sign_in_token = csrf_of(other.get("/staff"))
        other.headers.pop("Origin")
        assert_csrf_refused(other.post("/staff/sign-in", data={"api_key": "x", "_csrf_token": sign_in_token},
                                       headers=headers, follow_redirects=False), "origin")


@pytest.mark.parametrize("headers", [
    {"Origin": OWN_ORIGIN},
    {"Origin": "HTTPS://Portal.Example.org:443"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # Chromium under Referrer-Policy: no-referrer
    {"Sec-Fetch-Site": "same-origin"},
    {"Referer": OWN_ORIGIN + "/staff/queue"},
])
def test_same_origin_evidence_lets_the_form_through(api: TestClient, database_url: str,
                                                    headers: dict[str, str]) -> None:
    seed_requests(database_url, 1)
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    token = csrf_of(api.get("/staff/queue"))
    api.headers.pop("Origin")
    answered = api.post("/staff/claim-next", data={"_csrf_token": token}, headers=headers, follow_redirects=False)
    assert answered.status_code == 303, answered.text
    assert lease_holders(database_url) == ["key:rita"]


def test_the_sign_in_form_is_bound_to_a_host_only_pre_session_cookie(api: TestClient, database_url: str) -> None:
    key = create_key(database_url, "rita", "reviewer")
    page = api.get("/staff")
    set_cookie = page.headers["set-cookie"]
    assert set_cookie.startswith("__Host-portal_sign_in=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=Strict", "Secure"):
        assert attribute.lower() in set_cookie.lower(), set_cookie
    assert "domain" not in set_cookie.lower()
    assert "portal_csrf" not in set_cookie
    token = csrf_of(page)
    assert csrf_of(api.get("/staff")) == token  # the same cookie, the same token: two tabs both work
    with second_browser(api.app) as other:  # a token minted for another browser's pre-session cookie
        other_token = csrf_of(other.get("/staff"))
    assert other_token != token
    assert_csrf_refused(api.post("/staff/sign-in", data={"api_key": key, "_csrf_token": other_token},
                                 follow_redirects=False), "_csrf_token")
    api.cookies.clear()  # no pre-session cookie at all
    assert_csrf_refused(api.post("/staff/sign-in", data={"api_key": key, "_csrf_token": token},
                                 follow_redirects=False), "_csrf_token")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM staff_sessions").fetchone()[0] == 0
    signed_in = sign_in(api, key)
    assert signed_in.status_code == 303
    assert "__Host-portal_sign_in" not in api.cookies  # cleared: the forms are bound to the session now
    session_token = csrf_of(api.get("/staff/queue"))
    assert session_token != token
    # the token that signed in is worth nothing once a session exists
    assert_csrf_refused(api.post("/staff/claim-next", data={"_csrf_token": token}, follow_redirects=False),
                        "_csrf_token")


def test_the_home_page_and_the_api_get_no_console_cookie(api: TestClient, database_url: str) -> None:
    assert "set-cookie" not in api.get("/").headers
    key = create_key(database_url, "rita", "reviewer")
    assert "set-cookie" not in api.get("/v1/review/requests", headers=bearer(key)).headers


@pytest.mark.parametrize("role", ROLES)
def test_the_console_shows_the_allowlist_to_the_roles_the_api_does(api: TestClient, database_url: str,
                                                                   role: str) -> None:
    key = create_key(database_url, f"member-{role}", role)
    snapshot_id = evm_snapshot_id(api)
    api_status = api.get("/v1/allowlist", params={"snapshot_id": snapshot_id}, headers=bearer(key)).status_code
    assert api_status in (200, 403)
    sign_in(api, key)
    page = api.get("/staff/admin/allowlist")
    download = api.get("/staff/admin/allowlist/download", params={"snapshot_id": snapshot_id})
    assert page.status_code == download.status_code == api_status, (role, page.status_code, download.status_code)
    if api_status == 403:  # a role the console admits no further than its own 403 page
        assert page.headers["content-type"].startswith("text/html")
        assert "merkle_root" not in download.text
    else:
        assert snapshot_id in page.text and download.headers["content-disposition"].startswith("attachment")
        queue = api.get("/staff/queue")
        assert 'href="/staff/admin/allowlist"' in queue.text


def test_a_role_that_may_not_see_the_allowlist_gets_the_consoles_403_without_its_link(
        api: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the API's guard narrowed to approvers, the console would follow: a reviewer gets the 403 page."""
    from portal.http.console import session

    monkeypatch.setattr(session, "ALLOWLIST_ROLES", ("approver",))
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    for path in ("/staff/admin/allowlist", f"/staff/admin/allowlist/download?snapshot_id={evm_snapshot_id(api)}"):
        refused = api.get(path)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
        assert "The allowlist is for staff with the approver role" in refused.text and "merkle_root" not in refused.text
        assert refused.headers["cache-control"] == "no-store"
    assert 'href="/staff/admin/allowlist"' not in api.get("/staff/queue").text


def test_every_console_response_is_no_store(api: TestClient, database_url: str) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    answers = [api.get("/staff"), api.get("/staff/queue"),  # sign-in page; sign-in page after a 401
               api.post("/staff/sign-in", data={"api_key": "not-a-key", "_csrf_token": csrf_of(api.get("/staff"))})]
    answers.append(sign_in(api, create_key(database_url, "ada", "admin")))  # the 303
    token = csrf_of(api.get("/staff/queue"))
    snapshot_id = evm_snapshot_id(api)
    answers += [api.get("/staff/queue"), api.get("/staff/queue?status=nope"), api.get(f"/staff/requests/{request_id}"),
                api.get("/staff/requests/00000000-0000-0000-0000-000000000000"),
                api.get("/staff/admin/staff"), api.get("/staff/admin/audit"), api.get("/staff/admin/allowlist"),
                api.get("/staff/admin/allowlist/download", params={"snapshot_id": snapshot_id, "format": "csv"}),
                api.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": token}, follow_redirects=False),
                api.post("/staff/claim-next", data={}, follow_redirects=False),
                api.post("/staff/sign-out", data={"_csrf_token": token}, follow_redirects=False)]
    statuses = sorted({answer.status_code for answer in answers})
    assert statuses == [200, 303, 400, 401, 403, 404], statuses
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.status_code)


def test_the_holders_own_view_is_no_store(client: TestClient, database_url: str) -> None:
    seeded = seed_requests(database_url, 1)[0]
    own = client.get(f"/v1/requests/{seeded.request_id}", headers=bearer(seeded.status_token))
    assert own.status_code == 200 and own.headers["cache-control"] == "no-store"
    page = client.get(f"/requests/{seeded.request_id}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    shown = client.post(f"/requests/{seeded.request_id}", data={"status_token": seeded.status_token})
    assert shown.status_code == 200 and seeded.destination in shown.text
    assert shown.headers["cache-control"] == "no-store"
