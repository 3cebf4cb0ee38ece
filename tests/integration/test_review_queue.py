"""The review queue over HTTP: claim, evidence, decisions, four-eyes, leases, pagination, gauges."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, bearer, create_key, seed_requests

THRESHOLD = 10**24
LEASE_SECONDS = 60


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def review_client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    configured = msgspec.structs.replace(settings, four_eyes_amount=str(THRESHOLD), review_lease_seconds=LEASE_SECONDS)
    with TestClient(app=create_app(configured, clock=clock)) as client:
        yield client


@pytest.fixture
def keys(database_url: str) -> dict[str, str]:
    return {name: create_key(database_url, name, role) for name, role in
            [("rita", "reviewer"), ("remy", "reviewer"), ("alma", "approver"), ("abel", "approver"),
             ("ada", "admin")]}


def claim(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/review/claim", headers=bearer(token))


def decide(client: TestClient, token: str, request_id: str, decision: str, reason: str | None = "checked"):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(token),
                       json={"decision": decision, "reason": reason, "public_note": "thanks"})


def test_claim_decide_and_audit(review_client: TestClient, database_url: str, keys: dict[str, str]) -> None:
    seeded = seed_requests(database_url, 2)
    first = claim(review_client, keys["rita"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["request_id"] == str(seeded[0].request_id)  # oldest first
    assert body["lease_holder"] == "key:rita" and body["status"] == "pending_review"
    assert {flag["code"] for flag in body["risk_flags"]} == {"client_many_requests"}
    assert body["message"] and body["recovered_signer"] == seeded[0].snapshot_address
    approved = decide(review_client, keys["rita"], body["request_id"], "approve")
    assert approved.json() == {"request_id": body["request_id"], "status": "approved"}
    again = decide(review_client, keys["rita"], body["request_id"], "reject")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    second = claim(review_client, keys["remy"]).json()
    assert second["request_id"] == str(seeded[1].request_id)
    assert decide(review_client, keys["remy"], second["request_id"], "reject", reason=None).status_code == 400
    assert decide(review_client, keys["remy"], second["request_id"], "reject").json()["status"] == "rejected"
    assert claim(review_client, keys["remy"]).status_code == 204
    events = review_client.get("/v1/audit", headers=bearer(keys["ada"])).json()["events"]
    actions = [e["action"] for e in events if e["action"].startswith("review:")]
    assert actions == ["review:request:claimed", "review:decision:approved", "review:request:claimed",
                       "review:decision:rejected"]
    detail = review_client.get(f"/v1/review/requests/{second['request_id']}", headers=bearer(keys["rita"])).json()
    assert detail["status"] == "rejected" and detail["decided_by"] == "key:remy" and detail["lease_holder"] is None


def test_four_eyes(review_client: TestClient, database_url: str, keys: dict[str, str]) -> None:
    big = seed_requests(database_url, 1, amount=THRESHOLD)[0]
    request_id = str(big.request_id)
    # issue 12: a request at or above the threshold is offered only to staff who may approve it
    assert claim(review_client, keys["rita"]).status_code == 204
    chosen = review_client.post(f"/v1/review/requests/{request_id}/claim", headers=bearer(keys["rita"]))
    assert chosen.status_code == 403, chosen.text
    refused = decide(review_client, keys["rita"], request_id, "approve")
    assert refused.status_code == 409, refused.text  # no lease
    taken = claim(review_client, keys["alma"]).json()
    assert taken["request_id"] == request_id and taken["four_eyes_required"] is True
    first = decide(review_client, keys["alma"], request_id, "approve")
    assert first.json()["status"] == "awaiting_second_approval"
    assert claim(review_client, keys["alma"]).status_code == 204  # nobody approves twice
    assert claim(review_client, keys["remy"]).status_code == 204  # reviewers do not give second approvals
    assert claim(review_client, keys["abel"]).json()["first_approver"] == "key:alma"
    assert decide(review_client, keys["abel"], request_id, "approve").json()["status"] == "approved"


def test_only_the_live_lease_holder_decides(review_client: TestClient, database_url: str,
                                            keys: dict[str, str], clock: ManualClock) -> None:
    request_id = str(seed_requests(database_url, 1)[0].request_id)
    assert claim(review_client, keys["rita"]).status_code == 200
    assert claim(review_client, keys["remy"]).status_code == 204  # leased: not claimable
    stolen = decide(review_client, keys["remy"], request_id, "approve")
    assert stolen.status_code == 409 and stolen.json()["code"] == "lease_not_held"
    clock.advance(LEASE_SECONDS)
    late = decide(review_client, keys["rita"], request_id, "approve")
    assert late.status_code == 409 and late.json()["code"] == "lease_not_held"
    assert claim(review_client, keys["remy"]).json()["request_id"] == request_id  # expired lease: back in queue
    assert decide(review_client, keys["remy"], request_id, "needs_info", reason="which wallet?").json()["status"] \
        == "needs_info"
    assert claim(review_client, keys["rita"]).status_code == 204  # parked requests leave the queue


def test_risk_flags(review_client: TestClient, database_url: str, keys: dict[str, str]) -> None:
    in_snapshot = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # first Hardhat test account, in demo-evm
    seed_requests(database_url, 2, destination=in_snapshot, method="eip1271", amount=THRESHOLD)
    body = claim(review_client, keys["alma"]).json()
    assert {flag["code"] for flag in body["risk_flags"]} == {
        "destination_reused", "destination_in_snapshot", "contract_wallet", "client_many_requests",
        "four_eyes_amount"}


def test_queue_is_keyset_paginated(review_client: TestClient, database_url: str, keys: dict[str, str]) -> None:
    seeded = seed_requests(database_url, 7)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = review_client.get("/v1/review/requests", params=params, headers=bearer(keys["rita"])).json()
        seen += [item["request_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(s.request_id) for s in seeded]
    bad = review_client.get("/v1/review/requests", params={"cursor": "nonsense"}, headers=bearer(keys["rita"]))
    assert bad.status_code == 400
    approved = review_client.get("/v1/review/requests", params={"status": "approved"}, headers=bearer(keys["rita"]))
    assert approved.json() == {"items": [], "next_cursor": None}


def test_queue_gauges(review_client: TestClient, database_url: str, keys: dict[str, str], clock: ManualClock) -> None:
    from portal.http.metrics import refresh_queue_gauges
    from tests.integration.staff_helpers import EPOCH

    seeded = seed_requests(database_url, 3)
    claim(review_client, keys["rita"])
    decide(review_client, keys["rita"], str(seeded[0].request_id), "approve")
    review_client.blocking_portal.call(refresh_queue_gauges, review_client.app.state.runtime)
    metrics = review_client.get("/metrics").text
    assert 'portal_queue_depth{status="pending_review"} 2.0' in metrics
    assert 'portal_queue_depth{status="approved"} 1.0' in metrics
    assert 'portal_queue_depth{status="rejected"} 0.0' in metrics
    oldest_seconds = (clock.now - EPOCH).total_seconds() - 0.001  # seeded[1] was created 1 ms after EPOCH
    assert f"portal_queue_oldest_pending_seconds {oldest_seconds}" in metrics
