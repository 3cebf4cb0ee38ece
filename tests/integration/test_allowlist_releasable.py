"""An approval is a promise a release keeps (issue 19.5): a decision refuses an approval whose
converted amount no release on its chain can hold, and an export never fails for one such row
stored before (it is left out and reported, with its reason, in every format).

EVM snapshot at 18 decimals, Solana destination at 9 decimals and 3/2: ``amount * 3 // (2 * 10**9)``.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

import snapshot
from portal.app import create_app
from portal.settings import Settings
from snapshot.addresses import to_checksum_address
from tests.integration.staff_helpers import bearer, create_key, random_solana_address, seed_requests

U64_LIMIT = 2**64


def converted(amount: int) -> int:
    return amount * 3 // (2 * 10**9)


BEYOND_U64 = 10**29            # converts to 1.5e20 > u64
HALF_OF_U64 = 8 * 10**27       # converts to 1.2e19: one fits, two do not


@pytest.fixture(scope="module")
def evm_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], Path]:
    tmp = tmp_path_factory.mktemp("releasable")
    rng = random.Random(19)
    holders = sorted(to_checksum_address(rng.randbytes(20)) for _ in range(6))
    source = tmp / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"{a},{10**18}\n" for a in holders))
    manifest = snapshot.build_artifact(source, tmp / "out", decimals=18)
    destinations = tmp / "destinations.toml"
    destinations.write_text('[solana]\ndecimals = 9\nratio = "3/2"\n\n[evm]\ndecimals = 6\nratio = "1/3"\n')
    return manifest.path, holders, destinations


@pytest.fixture
def converting(database_url: str, evm_snapshot) -> Iterator[tuple[TestClient, str, str]]:
    path, _, destinations = evm_snapshot
    settings = Settings(database_url=database_url, snapshots=(path,), destinations_file=str(destinations),
                        public_url="https://portal.example.org", rate_limit_per_minute=0,
                        four_eyes_amount=str(10**60))
    with TestClient(app=create_app(settings)) as client:
        yield client, client.get("/v1/snapshots").json()[0]["id"], create_key(database_url, "ada", "admin")


def claim_and_decide(client: TestClient, token: str, decision: str = "approve", reason: str | None = None):
    claimed = client.post("/v1/review/claim", headers=bearer(token))
    assert claimed.status_code == 200, claimed.text
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    return claimed.json()["request_id"], client.post(
        f"/v1/review/requests/{claimed.json()['request_id']}/decision", headers=bearer(token), json=body)


def test_an_approval_beyond_u64_is_refused_in_words_and_can_still_be_rejected(converting, database_url: str,
                                                                             evm_snapshot) -> None:
    client, snapshot_id, token = converting
    seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=evm_snapshot[1][:1],
                  destination=random_solana_address(), amount=BEYOND_U64)
    request_id, refused = claim_and_decide(client, token)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "amount_not_releasable" and problem["field"] == "decision"
    assert "u64" in problem["detail"] and str(converted(BEYOND_U64)) in problem["detail"]
    detail = client.get(f"/v1/review/requests/{request_id}", headers=bearer(token)).json()
    assert detail["status"] == "pending_review" and detail["lease_holder"] is not None  # nothing changed
    rejected = client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(token),
                           json={"decision": "reject", "reason": "cannot be released on Solana"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_an_approval_that_would_push_the_solana_total_beyond_u64_is_refused(converting, database_url: str,
                                                                          evm_snapshot) -> None:
    client, snapshot_id, token = converting
    holders = evm_snapshot[1]
    for holder in holders[:2]:
        seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=[holder],
                      destination=random_solana_address(), amount=HALF_OF_U64)
    _, first = claim_and_decide(client, token)
    assert first.status_code == 200 and first.json()["status"] == "approved"
    _, second = claim_and_decide(client, token)
    assert second.status_code == 422 and second.json()["code"] == "amount_not_releasable"
    assert "total" in second.json()["detail"]


def test_an_evm_destination_is_not_bounded_by_u64(converting, database_url: str, evm_snapshot) -> None:
    client, snapshot_id, token = converting
    seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=evm_snapshot[1][:1],
                  amount=BEYOND_U64 * 10**12)
    _, approved = claim_and_decide(client, token)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def approve_in_sql(database_url: str, request_id: uuid.UUID) -> None:
    """An approval made before decisions checked releasability (what the hostile run left behind)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE requests SET status = 'approved', decided_by = 'before-the-fix' WHERE id = %s",
                     (request_id,))


def test_one_unreleasable_row_is_excluded_with_its_reason_not_a_422_for_every_export(
        converting, database_url: str, evm_snapshot) -> None:
    client, snapshot_id, token = converting
    holders = evm_snapshot[1]
    bad = seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=holders[:1],
                        destination=random_solana_address(), amount=BEYOND_U64)[0]
    approve_in_sql(database_url, bad.request_id)
    good = [seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=[holder],
                          destination=random_solana_address(), amount=10**18)[0] for holder in holders[1:3]]
    for _ in good:
        _, approved = claim_and_decide(client, token)
        assert approved.status_code == 200, approved.text
    params = {"snapshot_id": snapshot_id, "destination_chain": "solana"}

    body = client.get("/v1/allowlist", params=params, headers=bearer(token))
    assert body.status_code == 200, body.text
    allowlist = body.json()
    assert sorted(entry["destination"] for entry in allowlist["entries"]) == sorted(g.destination for g in good)
    assert int(allowlist["max_total_claim"]) == 2 * converted(10**18)
    [excluded] = allowlist["excluded"]
    assert excluded["snapshot_address"] == bad.snapshot_address and excluded["destination"] == bad.destination
    assert excluded["code"] == "amount_not_releasable" and "u64" in excluded["reason"]
    assert excluded["amount"] == str(BEYOND_U64) and excluded["converted_amount"] == str(converted(BEYOND_U64))

    as_csv = client.get("/v1/allowlist", params={**params, "format": "csv"}, headers=bearer(token))
    assert as_csv.status_code == 200, as_csv.text
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert sorted(row["destination"] for row in rows) == sorted(g.destination for g in good)
    assert as_csv.headers["x-allowlist-excluded"] == "1"
    assert as_csv.headers["x-allowlist-excluded-entries"] == f"{bad.snapshot_address}=amount_not_releasable"

    tree = client.get("/v1/allowlist", params={**params, "format": "distributor-json"}, headers=bearer(token))
    assert tree.status_code == 200, tree.text
    assert tree.headers["x-allowlist-excluded"] == "1"
    assert json.loads(tree.content)["max_num_nodes"] == 2

    evm = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "evm",
                                               "format": "csv"}, headers=bearer(token))
    assert evm.status_code == 200 and "x-allowlist-excluded" not in evm.headers


def test_only_unreleasable_rows_leave_an_empty_tree_that_says_why(converting, database_url: str,
                                                                   evm_snapshot) -> None:
    client, snapshot_id, token = converting
    bad = seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=evm_snapshot[1][:1],
                        destination=random_solana_address(), amount=BEYOND_U64)[0]
    approve_in_sql(database_url, bad.request_id)
    params = {"snapshot_id": snapshot_id, "destination_chain": "solana"}
    allowlist = client.get("/v1/allowlist", params=params, headers=bearer(token)).json()
    assert allowlist["merkle_root"] is None and allowlist["entries"] == [] and len(allowlist["excluded"]) == 1
    tree = client.get("/v1/allowlist", params={**params, "format": "distributor-json"}, headers=bearer(token))
    assert tree.status_code == 422 and "left out" in tree.json()["detail"]
