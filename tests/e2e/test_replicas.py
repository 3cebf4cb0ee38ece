"""Issue 24: two ``portal serve`` processes on one database behave as one service.

Each replica has its own data dir and port; they share the database, the audit key file, the CSRF
secret and ``PORTAL_TRUSTED_PROXIES`` (what the README's "Several hosts" section says must agree).
Clients connect from 127.0.0.2 (a client socket bound there), a peer that is not the trusted
127.0.0.1, so their ``X-Forwarded-For`` must be ignored by the app and by the ASGI server.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks._server import portal_process
from portal.domain.audit_keys import ensure_key_file
from tests.integration.staff_helpers import create_key, seed_requests

pytestmark = pytest.mark.slow

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
SECRET = "replicas-share-this-csrf-secret-0123456789"
BAD_CHALLENGE = {"address": "bad", "destination": "0x000000000000000000000000000000000000dEaD", "method": "eip191"}


@contextlib.contextmanager
def replicas(tmp_path: Path, database_url: str, **env: str) -> Iterator[tuple[list[str], list]]:
    from portal.demo import build_demo_snapshots

    snapshots = build_demo_snapshots(tmp_path / "snapshots")
    shared = {"DATABASE_URL": database_url, "PORTAL_AUDIT_KEY_FILE": str(tmp_path / "audit.key"),
              "PORTAL_CSRF_SECRET": SECRET, "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32",
              "PORTAL_PUBLIC_URL": "http://127.0.0.1:8000", "PORTAL_LOG_LEVEL": "WARNING", **env}
    ensure_key_file(tmp_path / "audit.key", now=dt.datetime.now(dt.UTC))   # one key, made before either starts
    with portal_process(tmp_path / "one", snapshots, env=shared, ready_timeout=120) as (one, first), \
            portal_process(tmp_path / "two", snapshots, env=shared, ready_timeout=120) as (two, second):
        yield [one, two], [first, second]


def client_from(address: str, base: str) -> httpx.Client:
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address), timeout=10,
                        headers={"Origin": "http://127.0.0.1:8000"})


def test_two_replicas_count_once_share_sessions_and_never_double_claim(tmp_path: Path, database_url: str) -> None:
    with replicas(tmp_path, database_url, PORTAL_RATE_LIMIT_PER_MINUTE="6") as (bases, _), \
            contextlib.ExitStack() as clients:
        one, two = (clients.enter_context(client_from("127.0.0.2", base)) for base in bases)
        # The holders' limit, counted once across both, whatever X-Forwarded-For the client invents.
        statuses = [(one if i % 2 else two).post("/v1/challenges", json=BAD_CHALLENGE,
                                                 headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                    for i in range(12)]
        assert statuses == [400] * 6 + [429] * 6, statuses
        # The trusted proxy (127.0.0.1) is believed: its client is someone else, with a fresh count.
        trusted = clients.enter_context(client_from("127.0.0.1", bases[0]))
        assert trusted.post("/v1/challenges", json=BAD_CHALLENGE,
                            headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 400

        # Issue 19's case: 40 wrong sign-ins, rotating X-Forwarded-For, from an untrusted peer, over both.
        token = CSRF_FIELD.search(one.get("/staff").text).group(1)  # type: ignore[union-attr]
        two.cookies = one.cookies
        guesses = [(one if i % 2 else two).post("/staff/sign-in", data={"api_key": f"guess-{i}", "_csrf_token": token},
                                                headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                   for i in range(40)]
        assert guesses.count(401) == 10 and guesses[10:] == [429] * 30, guesses

        # A console session and its CSRF token made on one replica are accepted by the other.
        server_key, _ = ensure_key_file(tmp_path / "audit.key", now=dt.datetime.now(dt.UTC))
        seed_requests(database_url, 8)
        rita = create_key(database_url, "rita", "reviewer", audit_key=server_key)
        staff_one, staff_two = (clients.enter_context(client_from("127.0.0.3", base)) for base in bases)
        sign_in_token = CSRF_FIELD.search(staff_one.get("/staff").text).group(1)  # type: ignore[union-attr]
        signed = staff_one.post("/staff/sign-in", data={"api_key": rita, "_csrf_token": sign_in_token})
        assert signed.status_code == 303, signed.text
        queue_token = CSRF_FIELD.search(staff_one.get("/staff/queue").text).group(1)  # type: ignore[union-attr]
        staff_two.cookies = staff_one.cookies
        claimed = staff_two.post("/staff/claim-next", data={"_csrf_token": queue_token})
        assert claimed.status_code == 303 and "/staff/requests/" in claimed.headers["location"], claimed.text

        # Eight reviewers split over both replicas, claiming at once: no request is held twice.
        tokens = [create_key(database_url, f"reviewer-{i}", "reviewer", audit_key=server_key) for i in range(8)]

        def claim(i: int) -> str | None:
            with httpx.Client(base_url=bases[i % 2], timeout=10) as client:
                answer = client.post("/v1/review/claim", headers={"Authorization": f"Bearer {tokens[i]}"})
            return answer.json()["request_id"] if answer.status_code == 200 else None

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            held = [r for r in pool.map(claim, range(8)) if r is not None]
        assert len(held) == 7 and len(set(held)) == 7, held   # rita holds the eighth


def test_sigkill_of_one_replica_loses_nothing_and_the_other_serves(tmp_path: Path, database_url: str) -> None:
    from benchmarks.sigkill import ACCOUNTS, SERVE_ENV, found, traffic

    with replicas(tmp_path, database_url, **SERVE_ENV) as (bases, processes):
        server_key, _ = ensure_key_file(tmp_path / "audit.key", now=dt.datetime.now(dt.UTC))
        token = create_key(database_url, "fault-reviewer", "approver", audit_key=server_key)
        ports = [int(base.rsplit(":", 1)[1]) for base in bases]
        with traffic(ports[0], token, ACCOUNTS, 3) as acks:
            time.sleep(1.5)
            processes[0].send_signal(signal.SIGKILL)
            processes[0].wait()
        assert acks.requests and acks.decisions, "no write was acknowledged before the kill"
        requests_found, decisions_found = found(ports[1], database_url, acks)   # asked of the survivor
        assert (requests_found, decisions_found) == (len(acks.requests), len(acks.decisions))
        with traffic(ports[1], token, ACCOUNTS, 2) as after:
            time.sleep(1.0)
        assert after.requests, "the surviving replica stopped serving"
        assert httpx.get(bases[1] + "/ready", timeout=5).status_code == 200
