"""Cases under contention, and the ``late`` kind around the signed claim deadline.

Concurrency is real: an async test client sends every request before awaiting any answer; the app
serves them on one event loop with a pool of connections, and the database's locks decide.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest
from litestar.testing import AsyncTestClient, TestClient

from policy.document import parse_document
from portal.app import create_app
from portal.settings import Settings
from tests.integration.case_helpers import DESTINATION, LISTED, UNLISTED, bearer, open_case, sign
from tests.integration.staff_helpers import ManualClock, create_key
from tests.integration.test_claim_window import SIGNER, policy, publish

CLIENTS = 50


def count(database_url: str, sql: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchone()[0]  # type: ignore[index]


def test_fifty_cases_opened_at_once_for_one_address_make_one_case(settings: Settings) -> None:
    async def run() -> list:
        app = create_app(msgspec.structs.replace(settings, db_pool_size=20))
        async with AsyncTestClient(app=app) as client:
            bodies = []
            for _ in range(CLIENTS):
                challenge = (await client.post("/v1/challenges", json={
                    "address": UNLISTED.address, "destination": DESTINATION, "method": "eip191",
                    "purpose": "case"})).json()
                bodies.append({"challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot", "text": "Why?",
                               "signature": sign(UNLISTED, challenge["message"])})
            return await asyncio.gather(*(client.post("/v1/cases", json=body) for body in bodies))

    answers = asyncio.run(run())
    assert sorted(a.status_code for a in answers) == [200] * (CLIENTS - 1) + [201]
    assert len({a.json()["case_id"] for a in answers}) == 1
    assert sum(a.json()["status_token"] is not None for a in answers) == 1
    url = settings.database_url
    assert count(url, "SELECT count(*) FROM cases") == 1  # type: ignore[arg-type]
    assert count(url, "SELECT count(*) FROM case_messages") == 1  # type: ignore[arg-type]
    assert count(url, "SELECT count(*) FROM challenges WHERE used_at IS NULL") == 0  # type: ignore[arg-type]
    assert count(url, "SELECT count(*) FROM audit_events WHERE action = 'case:proof:accepted'") == 1  # type: ignore[arg-type]


def test_two_staff_claiming_and_deciding_one_case_at_once(settings: Settings, database_url: str) -> None:
    tokens = [bearer(create_key(database_url, name, "approver")) for name in ("ann", "bob")]

    async def run() -> tuple[list, list]:
        app = create_app(settings)
        async with AsyncTestClient(app=app) as client:
            challenge = (await client.post("/v1/challenges", json={
                "address": LISTED.address, "destination": DESTINATION, "method": "eip191", "purpose": "case"})).json()
            case = (await client.post("/v1/cases", json={
                "challenge_id": challenge["challenge_id"], "kind": "question", "text": "Which chain?",
                "signature": sign(LISTED, challenge["message"])})).json()
            path = f"/v1/review/cases/{case['case_id']}"
            claims = await asyncio.gather(*(client.post(f"{path}/claim", headers=t) for t in tokens))
            decisions = await asyncio.gather(*(client.post(f"{path}/decision", headers=t, json={
                "outcome": "answered", "reason": f"answer {i}"}) for i, t in enumerate(tokens)))
            return claims, decisions

    claims, decisions = asyncio.run(run())
    assert sorted(c.status_code for c in claims) == [200, 409]
    assert sorted(d.status_code for d in decisions) == [200, 409]
    assert count(database_url, "SELECT count(*) FROM audit_events WHERE action = 'review:case:decided'") == 1


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # 2025-01-02: before the policy's deadline of 2025-01-10


@pytest.fixture
def client(settings: Settings, clock: ManualClock, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 1\nexpires = 2027-12-31T00:00:00Z\nsigners = ["{SIGNER.address}"]\n')
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root)), clock=clock)
    with TestClient(app=app) as test_client:
        yield test_client


def test_late_is_for_after_the_deadline_when_the_policy_reviews_late_requests(
        client: TestClient, clock: ManualClock, database_url: str) -> None:
    no_deadline = open_case(client, LISTED, "late")
    assert no_deadline.status_code == 422 and "sets no claim deadline" in no_deadline.json()["detail"]
    closed = policy(1, "", "closed")
    publish(client, database_url, closed)
    before = open_case(client, LISTED, "late")
    assert before.status_code == 422 and before.json()["code"] == "kind_not_applicable"
    assert "still open" in before.json()["detail"]
    clock.advance(dt.timedelta(days=9).total_seconds())  # 2025-01-11: the window closed
    refused = open_case(client, LISTED, "late")
    assert refused.status_code == 422 and "takes no late requests" in refused.json()["detail"]
    question = open_case(client, UNLISTED, "question")  # a case is not a claim: questions go on after the deadline
    assert question.status_code == 201
    publish(client, database_url, policy(2, parse_document(closed.encode()).sha256, "review"))
    late = open_case(client, LISTED, "late", "I was in hospital during the window.")
    assert late.status_code == 201, late.text
    case = late.json()
    assert case["kind"] == "late"

    # Upheld, the late case becomes the approved request it missed, followed with the case's own token.
    staff = bearer(create_key(database_url, "ann", "approver"))
    listed = client.get(f"/v1/eligibility/{LISTED.address}").json()["amount"]
    assert client.post(f"/v1/review/cases/{case['case_id']}/claim", headers=staff).status_code == 200
    upheld = client.post(f"/v1/review/cases/{case['case_id']}/decision", headers=staff,
                         json={"outcome": "upheld", "reason": "Hospital letter seen.", "amount": listed})
    assert upheld.status_code == 200, upheld.text
    holder = bearer(case["status_token"])
    view = client.get(f"/v1/cases/{case['case_id']}", headers=holder).json()
    assert (view["outcome"], view["request_id"], view["correction"]) == ("upheld", case["case_id"], None)
    request = client.get(f"/v1/requests/{case['case_id']}", headers=holder).json()
    assert (request["status"], request["amount"], request["destination"]) == ("approved", listed, DESTINATION)
    assert client.get("/v1/corrections").json() == []  # an approval, not a correction
