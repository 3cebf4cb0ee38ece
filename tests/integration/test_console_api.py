"""Issue 12 through HTTP on a real database: the API's new queue abilities and the console's session rules.

JSON API: claim a chosen request, release, escalate, search and filter, reopen, and the documented
200/204 of ``claimReviewRequest``. Console (``/staff``, Litestar's ``TestClient`` on https so the
``Secure`` cookie round-trips): the cookie's attributes, CSRF, idle/absolute timeouts, revocation at
the next click, sign-in rate limiting, and control characters refused with a message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import EPOCH, ManualClock, bearer, create_key, revoke_key, seed_requests

THRESHOLD = 10**24
LEASE_SECONDS = 60
IDLE_SECONDS = 600
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
# What a browser sends with the console's own forms: the Origin of PORTAL_PUBLIC_URL (the settings fixture's).
SAME_ORIGIN = {"Origin": "https://portal.example.org"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def app_for(settings: Settings, clock: ManualClock, **overrides):  # type: ignore[no-untyped-def]
    values = {"four_eyes_amount": str(THRESHOLD), "review_lease_seconds": LEASE_SECONDS,
              "staff_session_idle_seconds": IDLE_SECONDS, "staff_sign_in_per_minute": 0, **overrides}
    configured = msgspec.structs.replace(settings, **values)
    return create_app(configured, clock=clock)


def console_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser on https (so the ``Secure`` cookies round-trip) that sends the console's own Origin."""
    client = TestClient(app=app, base_url="https://testserver.local")
    client.headers.update(SAME_ORIGIN)
    return client


@pytest.fixture
def api(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with console_client(app_for(settings, clock)) as client:
        yield client


@pytest.fixture
def keys(database_url: str) -> dict[str, str]:
    return {name: create_key(database_url, name, role) for name, role in
            [("rita", "reviewer"), ("alma", "approver"), ("ada", "admin")]}


def csrf_of(response) -> str:  # type: ignore[no-untyped-def]
    found = CSRF_FIELD.search(response.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, key: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/staff"))
    return client.post("/staff/sign-in", data={"api_key": key, "_csrf_token": token}, follow_redirects=False)


# -- JSON API ---------------------------------------------------------------------------------------
def test_claim_chosen_release_and_the_empty_queue(api: TestClient, database_url: str, keys: dict[str, str]) -> None:
    first, second = seed_requests(database_url, 2)
    chosen = api.post(f"/v1/review/requests/{second.request_id}/claim", headers=bearer(keys["rita"]))
    assert chosen.status_code == 200 and chosen.json()["lease_holder"] == "key:rita"
    taken = api.post(f"/v1/review/requests/{second.request_id}/claim", headers=bearer(keys["alma"]))
    assert taken.status_code == 409 and taken.json()["code"] == "lease_held"
    assert api.post("/v1/review/claim", headers=bearer(keys["alma"])).json()["request_id"] == str(first.request_id)
    assert api.post("/v1/review/claim", headers=bearer(keys["ada"])).status_code == 204
    foreign = api.post(f"/v1/review/requests/{second.request_id}/release", headers=bearer(keys["alma"]))
    assert foreign.status_code == 409 and foreign.json()["code"] == "lease_not_held"
    assert api.post(f"/v1/review/requests/{second.request_id}/release", headers=bearer(keys["rita"])).status_code == 204
    assert api.post("/v1/review/claim", headers=bearer(keys["ada"])).json()["request_id"] == str(second.request_id)
    with psycopg.connect(database_url) as conn:
        actions = [row[0] for row in conn.execute(
            "SELECT action FROM audit_events WHERE subject = %s ORDER BY seq", (f"request:{second.request_id}",))]
    assert actions == ["review:request:claimed", "review:request:released", "review:request:claimed"]


def test_escalation_reaches_only_approvers(api: TestClient, database_url: str, keys: dict[str, str]) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    assert api.post("/v1/review/claim", headers=bearer(keys["rita"])).status_code == 200
    empty = api.post(f"/v1/review/requests/{request_id}/escalate", headers=bearer(keys["rita"]), json={"reason": " "})
    assert empty.status_code == 400 and empty.json()["field"] == "reason"
    done = api.post(f"/v1/review/requests/{request_id}/escalate", headers=bearer(keys["rita"]),
                    json={"reason": "odd destination"})
    assert done.status_code == 204
    assert api.post("/v1/review/claim", headers=bearer(keys["rita"])).status_code == 204
    listed = api.get("/v1/review/requests?risk=escalated", headers=bearer(keys["alma"])).json()["items"]
    assert [item["request_id"] for item in listed] == [str(request_id)]
    assert api.post("/v1/review/claim", headers=bearer(keys["alma"])).json()["escalated_by"] == "key:rita"


def test_search_and_filters(api: TestClient, database_url: str, keys: dict[str, str]) -> None:
    plain = seed_requests(database_url, 2)
    contract = seed_requests(database_url, 1, method="eip1271", amount=THRESHOLD,
                             start=EPOCH + dt.timedelta(seconds=1))[0]
    headers = bearer(keys["alma"])

    def ids(query: str) -> list[str]:
        response = api.get(f"/v1/review/requests?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["request_id"] for item in response.json()["items"]]

    assert ids(f"q={plain[1].snapshot_address.lower()}") == [str(plain[1].request_id)]  # any case
    assert ids(f"q={plain[0].destination}") == [str(plain[0].request_id)]
    assert ids(f"q={contract.request_id}") == [str(contract.request_id)]
    assert ids("method=eip1271") == ids("risk=contract_wallet") == ids("risk=four_eyes_amount") \
        == [str(contract.request_id)]
    assert ids("older_than_hours=1") == [str(s.request_id) for s in (*plain, contract)]  # seeded in 2025
    assert ids("chain=solana") == []
    page = api.get("/v1/review/requests?limit=2", headers=headers).json()
    rest = api.get("/v1/review/requests", params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers).json()
    assert [i["request_id"] for i in page["items"] + rest["items"]] == ids("")
    bad = api.get("/v1/review/requests?risk=nope", headers=headers)
    assert bad.status_code == 400


def test_reopen_is_for_admins_and_only_from_rejected_or_parked(api: TestClient, database_url: str,
                                                               keys: dict[str, str]) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    api.post("/v1/review/claim", headers=bearer(keys["rita"]))
    api.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(keys["rita"]),
             json={"decision": "reject", "reason": "wrong wallet"})
    body = {"reason": "holder showed the right wallet"}
    assert api.post(f"/v1/review/requests/{request_id}/reopen", headers=bearer(keys["rita"]), json=body) \
        .status_code == 403
    reopened = api.post(f"/v1/review/requests/{request_id}/reopen", headers=bearer(keys["ada"]), json=body)
    assert reopened.json() == {"request_id": str(request_id), "status": "pending_review"}
    again = api.post(f"/v1/review/requests/{request_id}/reopen", headers=bearer(keys["ada"]), json=body)
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_a_nul_byte_in_a_reason_is_a_400_not_a_500(api: TestClient, database_url: str, keys: dict[str, str]) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    api.post("/v1/review/claim", headers=bearer(keys["rita"]))
    refused = api.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(keys["rita"]),
                       json={"decision": "reject", "reason": "bad\u0000reason"})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status FROM requests").fetchone()[0] == "pending_review"


def test_the_console_filters_on_every_proof_method(api: TestClient, database_url: str,
                                                  keys: dict[str, str]) -> None:
    """Issue 20's bug: the console offered no solana_onchain filter, and asking for it found nothing."""
    other = seed_requests(database_url, 1)[0]
    onchain = seed_requests(database_url, 1, method="solana_onchain", chain="solana",
                            start=EPOCH + dt.timedelta(seconds=1))[0]
    assert sign_in(api, keys["rita"]).status_code == 303
    page = api.get("/staff/queue?method=solana_onchain")
    assert page.status_code == 200, page.text
    assert '<option value="solana_onchain" selected>' in page.text
    assert str(onchain.request_id) in page.text and str(other.request_id) not in page.text


# -- console sessions -------------------------------------------------------------------------------
def test_sign_in_sets_a_strict_http_only_secure_cookie(api: TestClient, database_url: str,
                                                       keys: dict[str, str]) -> None:
    signed = sign_in(api, keys["rita"])
    assert signed.status_code == 303 and signed.headers["location"] == "/staff/queue"
    cookie = next(v for v in signed.headers.get_list("set-cookie") if v.startswith("__Host-portal_staff="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path"} <= attributes and "samesite=strict" in cookie.lower()
    session_id = cookie.split(";")[0].split("=", 1)[1]
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT id_hash, ref FROM staff_sessions").fetchall()
        events = conn.execute("SELECT actor, data FROM audit_events WHERE action = 'staff:session:started'").fetchall()
    assert len(stored) == 1 and session_id.encode() not in stored[0][0]  # only the hash is stored
    assert events == [("key:rita", {"role": "reviewer", "session": stored[0][1]})]
    assert "Review queue" in api.get("/staff/queue").text


def test_wrong_key_and_rate_limit(settings: Settings, clock: ManualClock, database_url: str) -> None:
    app = app_for(settings, clock, staff_sign_in_per_minute=3)
    with console_client(app) as client:
        statuses = [sign_in(client, "not-a-key").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_csrf_token_is_required_and_nothing_changes_without_it(api: TestClient, database_url: str,
                                                               keys: dict[str, str]) -> None:
    seed_requests(database_url, 1)
    sign_in(api, keys["rita"])
    refused = api.post("/staff/claim-next", data={}, follow_redirects=False)
    assert refused.status_code == 403
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT lease_holder FROM requests").fetchone()[0] is None
    # the JSON API with a bearer token needs no CSRF token
    assert api.post("/v1/review/claim", headers=bearer(keys["rita"])).status_code == 200


def test_revocation_idle_and_absolute_timeouts_end_the_session(api: TestClient, database_url: str,
                                                               keys: dict[str, str], clock: ManualClock) -> None:
    sign_in(api, keys["rita"])
    assert api.get("/staff/queue").status_code == 200
    clock.advance(IDLE_SECONDS - 1)
    assert api.get("/staff/queue").status_code == 200  # each click restarts the idle clock
    clock.advance(IDLE_SECONDS + 1)
    ended = api.get("/staff/queue")
    assert ended.status_code == 401 and "session has ended" in ended.text
    sign_in(api, keys["rita"])
    for _ in range(int(settings_absolute(api) / (IDLE_SECONDS - 1)) + 1):
        clock.advance(IDLE_SECONDS - 1)
        api.get("/staff/queue")
    assert api.get("/staff/queue").status_code == 401  # the absolute timeout, however busy
    sign_in(api, keys["rita"])
    revoke_key(database_url, "rita")
    assert api.get("/staff/queue").status_code == 401  # the next click after revocation


def settings_absolute(client: TestClient) -> int:
    return client.app.state.runtime.settings.staff_session_absolute_seconds


def test_console_refuses_control_characters_with_a_message(api: TestClient, database_url: str,
                                                           keys: dict[str, str]) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    sign_in(api, keys["rita"])
    page = api.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": csrf_of(api.get("/staff/queue"))})
    assert page.status_code == 200
    refused = api.post(f"/staff/requests/{request_id}/decision",
                       data={"_csrf_token": csrf_of(page), "decision": "reject", "reason": "x\u0000y"})
    assert refused.status_code == 400 and "control character" in refused.text
    too_long = api.post(f"/staff/requests/{request_id}/decision",
                        data={"_csrf_token": csrf_of(page), "decision": "reject", "reason": "x" * 5000})
    assert too_long.status_code == 400 and "at most" in too_long.text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status FROM requests").fetchone()[0] == "pending_review"


def test_an_admins_day(api: TestClient, database_url: str, keys: dict[str, str]) -> None:
    request_id = seed_requests(database_url, 1)[0].request_id
    sign_in(api, keys["ada"])
    page = api.get("/staff/admin/staff")
    assert page.status_code == 200 and "rita" in page.text
    added = api.post("/staff/admin/staff", data={"_csrf_token": csrf_of(page), "name": "nora", "role": "reviewer"})
    token = re.search(r'id="new-token"[^>]*>([^<]+)<', added.text).group(1)  # type: ignore[union-attr]
    assert added.headers["cache-control"] == "no-store"
    assert token not in api.get("/staff/admin/staff").text  # shown once
    taken = api.post("/staff/admin/staff", data={"_csrf_token": csrf_of(page), "name": "nora", "role": "reviewer"})
    assert taken.status_code == 409 and "never reused" in taken.text
    nora = console_client(api.app)  # a second browser; the app is running
    sign_in(nora, token)
    assert nora.get("/staff/admin/staff").status_code == 403  # reviewers are not admins
    api.post("/staff/admin/staff/nora/role", data={"_csrf_token": csrf_of(page), "role": "admin"})
    assert nora.get("/staff/admin/staff").status_code == 200  # the new role counts at the next click
    api.post("/staff/admin/staff/nora/revoke", data={"_csrf_token": csrf_of(page)})
    assert nora.get("/staff/queue").status_code == 401
    # reopen a rejected request from its evidence page
    api.post(f"/v1/review/requests/{request_id}/claim", headers=bearer(keys["rita"]))
    api.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(keys["rita"]),
             json={"decision": "reject", "reason": "unclear"})
    evidence = api.get(f"/staff/requests/{request_id}")
    assert "Reopen request" in evidence.text
    reopened = api.post(f"/staff/requests/{request_id}/reopen",
                        data={"_csrf_token": csrf_of(evidence), "reopen_reason": "holder called back"})
    assert reopened.status_code == 200 and "Reopened" in reopened.text
    verified = api.post("/staff/admin/audit/verify", data={"_csrf_token": csrf_of(page)})
    assert "Chain verified" in verified.text
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    broken = api.post("/staff/admin/audit/verify", data={"_csrf_token": csrf_of(page)})
    assert "Chain broken" in broken.text and "at event 2" in broken.text
    with psycopg.connect(database_url) as conn:
        sessions = {row[0]: row[1] for row in conn.execute(
            "SELECT action, data->>'session' FROM audit_events WHERE actor = 'key:ada' AND action IN "
            "('staff:key:created', 'staff:key:role_changed', 'staff:key:revoked', 'review:request:reopened')")}
    assert len(sessions) == 4 and len(set(sessions.values())) == 1 and None not in sessions.values()
    snapshot_id = next(m.id for m in api.app.state.runtime.snapshots.manifests if m.chain == "evm")
    assert snapshot_id in api.get("/staff/admin/allowlist").text
    download = api.get("/staff/admin/allowlist/download", params={"snapshot_id": snapshot_id, "format": "csv"})
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
