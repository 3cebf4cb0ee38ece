"""8 reviewers at once over 500 requests, through two app instances on one database.

Every request must be decided exactly once, no request may be leased to two reviewers at once, and
the audit chain must verify afterwards. Each app has its own event loop, pool and clock thread, as
two replicas would; reviewers are threads calling through the apps' test clients.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.audit import key_for
from portal.settings import Settings, from_env
from portal.store.audit import first_broken, iter_all_sync
from tests.integration.staff_helpers import bearer, create_key, seed_requests

REQUESTS = 500
REVIEWERS = 8


def test_eight_reviewers_two_apps_every_request_decided_once(settings: Settings, database_url: str) -> None:
    seed_requests(database_url, REQUESTS)
    tokens = [create_key(database_url, f"reviewer-{i}", "reviewer") for i in range(REVIEWERS)]
    leases: list[tuple[str, str, dt.datetime, dt.datetime]] = []  # (request, reviewer, claimed, lease end)
    decisions: list[tuple[str, str, str]] = []
    record_lock = threading.Lock()

    def work(client: TestClient, index: int) -> None:
        rng = random.Random(index)
        reviewer = f"reviewer-{index}"
        while True:
            before = dt.datetime.now(dt.UTC)
            claimed = client.post("/v1/review/claim", headers=bearer(tokens[index]))
            if claimed.status_code == 204:
                return
            assert claimed.status_code == 200, claimed.text
            body = claimed.json()
            with record_lock:
                leases.append((body["request_id"], reviewer, before,
                               dt.datetime.fromisoformat(body["lease_expires_at"])))
            decision = rng.choice(["approve", "approve", "reject", "needs_info"])
            decided = client.post(f"/v1/review/requests/{body['request_id']}/decision",
                                  headers=bearer(tokens[index]), json={"decision": decision, "reason": "load"})
            assert decided.status_code == 200, decided.text
            with record_lock:
                decisions.append((body["request_id"], reviewer, decided.json()["status"]))

    with TestClient(app=create_app(settings)) as first, TestClient(app=create_app(settings)) as second:
        clients = [first, second]
        with ThreadPoolExecutor(REVIEWERS) as pool:
            for future in [pool.submit(work, clients[i % 2], i) for i in range(REVIEWERS)]:
                future.result()

    per_request = collections.Counter(request for request, _, _ in decisions)
    assert len(per_request) == REQUESTS and set(per_request.values()) == {1}
    by_request = collections.defaultdict(list)
    for request, reviewer, claimed, lease_end in leases:
        by_request[request].append((claimed, lease_end, reviewer))
    for request, spans in by_request.items():
        spans.sort()
        for (_, end, holder), (start, _, other) in itertools.pairwise(spans):
            assert start >= end, f"{request} leased to {holder} and {other} at once"
    assert len({reviewer for _, reviewer, _ in decisions}) == REVIEWERS  # everyone got work

    with psycopg.connect(database_url) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM requests GROUP BY status").fetchall())
        actions = dict(conn.execute("SELECT action, count(*) FROM audit_events GROUP BY action").fetchall())
    assert sum(statuses.values()) == REQUESTS and "pending_review" not in statuses
    assert actions["review:request:claimed"] == REQUESTS
    assert sum(n for action, n in actions.items() if action.startswith("review:decision:")) == REQUESTS
    assert first_broken(iter_all_sync(database_url), key=key_for(from_env()).chain_key) is None
