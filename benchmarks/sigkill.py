"""Issue 10 item 5: SIGKILL ``portal serve`` under concurrent proofs and decisions; nothing acknowledged is lost.

A real server on the embedded PostgreSQL; holder threads prove ownership of the demo Hardhat
accounts (challenge -> eth-account signature -> proof) while a reviewer thread claims and decides
(rejecting most, so an address can be proven again; approving every fifth). After ``--seconds``
of that the server is killed with SIGKILL mid-traffic and started again on the same data. Every
request the server acknowledged (201 with a request_id) must be found with its status token, every
decision it acknowledged (200) must be the request's state or a later one, and
``portal audit verify`` must pass. Prints acknowledged vs found for each round.

    python benchmarks/sigkill.py [--rounds 5] [--seconds 2] [--holders 3]

Traffic goes to 127.0.0.1 only. The demo keys are PUBLIC TEST KEYS.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import free_port, portal_process

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
ACCOUNTS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]
DESTINATION = "0x1111111111111111111111111111111111111111"
SERVE_ENV = {"PORTAL_RATE_LIMIT_PER_MINUTE": "0", "PORTAL_FOUR_EYES_AMOUNT": str(10**30)}


@dataclass
class Acks:
    requests: dict[str, str] = field(default_factory=dict)     # request_id -> status token
    decisions: dict[str, str] = field(default_factory=dict)    # request_id -> status the decision gave
    lock: threading.Lock = field(default_factory=threading.Lock)


def call(port: int, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})
    finally:
        connection.close()


def holder_loop(port: int, accounts: list, acks: Acks, stop: threading.Event) -> None:
    while not stop.is_set():
        for account in accounts:
            try:
                status, challenge = call(port, "POST", "/v1/challenges", {
                    "address": account.address, "destination": DESTINATION, "method": "eip191"})
                if status != 201:
                    time.sleep(0.05)
                    continue
                signature = account.sign_message(encode_defunct(text=challenge["message"])).signature.hex()
                status, filed = call(port, "POST", "/v1/proofs", {"challenge_id": challenge["challenge_id"],
                                                                   "signature": "0x" + signature})
                if status == 201:   # acknowledged: from here on it must survive anything
                    with acks.lock:
                        acks.requests[filed["request_id"]] = filed["status_token"]
            except (OSError, ValueError, http.client.HTTPException):
                if stop.wait(0.05):
                    return


def reviewer_loop(port: int, token: str, acks: Acks, stop: threading.Event) -> None:
    decided = 0
    while not stop.is_set():
        try:
            status, claimed = call(port, "POST", "/v1/review/claim", token=token)
            if status != 200:
                time.sleep(0.02)
                continue
            request_id = str(claimed["request_id"])
            decision = "approve" if decided % 5 == 4 else "reject"
            status, result = call(port, "POST", f"/v1/review/requests/{request_id}/decision", {
                "decision": decision, "reason": "fault test", "public_note": "fault test"}, token=token)
            if status == 200:
                decided += 1
                with acks.lock:
                    acks.decisions[request_id] = result["status"]
        except (OSError, ValueError, http.client.HTTPException):
            if stop.wait(0.05):
                return


@contextlib.contextmanager
def traffic(port: int, token: str, accounts: list, holders: int) -> Iterator[Acks]:
    acks, stop = Acks(), threading.Event()
    groups = [accounts[i::holders] for i in range(holders)]
    threads = [threading.Thread(target=holder_loop, args=(port, group, acks, stop)) for group in groups]
    threads.append(threading.Thread(target=reviewer_loop, args=(port, token, acks, stop)))
    for thread in threads:
        thread.start()
    try:
        yield acks
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def found(port: int, owner_url: str, acks: Acks) -> tuple[int, int]:
    """(acknowledged requests the holder finds with their token, acknowledged decisions in force).

    Decisions are read from the database: the reviewer may have decided a request filed in an
    earlier round, or one whose 201 the kill swallowed, whose token this round does not have.
    """
    import psycopg

    requests_found = sum(1 for request_id, token in acks.requests.items()
                         if call(port, "GET", f"/v1/requests/{request_id}", token=token)[0] == 200)
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute("SELECT id::text, status FROM requests WHERE id = ANY(%s::uuid[])",
                            (list(acks.decisions),)).fetchall()
    in_force = dict(rows)
    decisions_found = sum(1 for request_id, status in acks.decisions.items() if in_force.get(request_id) == status)
    return requests_found, decisions_found


def audit_verify(data_dir: Path, database_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PORTAL_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "portal", "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=60)


def stop_postgres(data_dir: Path) -> None:
    """The killed server could not stop its embedded PostgreSQL; stop it (fast shutdown)."""
    pid_file = data_dir / "pg" / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGINT)
        deadline = time.monotonic() + 20
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


@dataclass
class Round:
    acked_requests: int
    found_requests: int
    acked_decisions: int
    found_decisions: int
    verify: str


def run_rounds(work: Path, *, rounds: int, seconds: float, holders: int, token_for: object,
               database_url: str | None = None) -> Iterator[Round]:
    """Start, load, SIGKILL, restart, check; ``rounds`` times on the same data.

    ``token_for(owner_url, server_audit_key)`` makes the reviewer's API key, its audit event chained
    under the server's key. The server runs on ``database_url`` if given (the tests' cluster), else on
    its own embedded PostgreSQL under ``work``."""
    from pgserver.utils import PostmasterInfo

    from portal.demo import build_demo_snapshots

    snapshots = build_demo_snapshots(work / "snapshots")
    data = work / "data"
    port = free_port()
    env = {**SERVE_ENV, **({"DATABASE_URL": database_url} if database_url else {})}
    token, owner_url = None, database_url
    previous: Acks | None = None
    try:
        # Each start checks the previous round's acknowledgements, then carries the next round.
        for number in range(rounds + 1):
            with portal_process(data, snapshots, env=env, port=port, ready_timeout=120) as (_, process):
                if token is None:
                    owner_url = owner_url or PostmasterInfo.read_from_pgdata(data / "pg").get_uri()
                    # The staff key's audit event is chained under the server's audit key, as
                    # `portal staff add` with this data dir would do.
                    from portal.domain.audit_keys import ensure_key_file

                    server_key, _ = ensure_key_file(data / "audit.key", now=dt.datetime.now(dt.UTC))
                    token = token_for(owner_url, server_key)  # type: ignore[operator]
                if previous is not None:
                    requests_found, decisions_found = found(port, owner_url, previous)  # type: ignore[arg-type]
                    verify = audit_verify(data, database_url)
                    yield Round(len(previous.requests), requests_found, len(previous.decisions), decisions_found,
                                "ok" if verify.returncode == 0 else f"FAILED: {verify.stdout} {verify.stderr}")
                if number == rounds:
                    break
                with traffic(port, token, ACCOUNTS, holders) as acks:
                    time.sleep(seconds)
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                previous = acks
    finally:
        if database_url is None:
            stop_postgres(data)


def reviewer_token(owner_url: str, audit_key: object) -> str:
    from tests.integration.staff_helpers import create_key

    return create_key(owner_url, "fault-reviewer", "approver", audit_key=audit_key)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--holders", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    totals = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory(prefix="portal-sigkill-") as tmp:
        for number, result in enumerate(run_rounds(Path(tmp), rounds=args.rounds, seconds=args.seconds,
                                                   holders=args.holders, token_for=reviewer_token), 1):
            print(f"round {number}: requests acknowledged {result.acked_requests}, found {result.found_requests}; "
                  f"decisions acknowledged {result.acked_decisions}, found {result.found_decisions}; "
                  f"audit verify {result.verify}", flush=True)
            for i, value in enumerate((result.acked_requests, result.found_requests, result.acked_decisions,
                                       result.found_decisions)):
                totals[i] += value
    print(f"total: requests {totals[1]}/{totals[0]} found, decisions {totals[3]}/{totals[2]} found")


if __name__ == "__main__":
    main()
