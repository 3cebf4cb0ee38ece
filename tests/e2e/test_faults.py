"""Fault tests against a real ``portal serve`` (issue 10): hostile connections, a killed database,
a killed server. Each drives the same code as its benchmark (``benchmarks/connections.py``,
``outage.py``, ``sigkill.py``) on a smaller scale; the figures come from the benchmarks.
"""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path

import pytest

from benchmarks._flood import Flood, probe_during, raise_nofile
from benchmarks._server import portal_process
from benchmarks.connections import ELIGIBLE, start_with_low_limit
from benchmarks.outage import demo_server, one_outage
from benchmarks.sigkill import run_rounds
from portal.store.database import POOL_TIMEOUT_SECONDS
from tests.integration.staff_helpers import create_key

pytestmark = pytest.mark.slow


def test_silent_and_slow_connections_do_not_starve_health(tmp_path: Path, database_url: str) -> None:
    """1,100 connections that never send a byte stopped the service before (issue 10, item 1)."""
    hard = raise_nofile()
    if hard < 4096:
        pytest.skip(f"open-file hard limit {hard} is too low for this test")
    from portal.demo import build_demo_snapshots

    snapshots = build_demo_snapshots(tmp_path / "snapshots")
    env = {"PORTAL_HEADER_READ_TIMEOUT_SECONDS": "5", "DATABASE_URL": database_url}
    with portal_process(tmp_path / "data", snapshots, env=env, preexec_fn=start_with_low_limit,
                        ready_timeout=120) as (base, _):
        port = int(base.rsplit(":", 1)[1])

        async def attack() -> tuple[dict, Flood]:
            flood = Flood("127.0.0.1", port, idle=1100, slow=100)
            flood.start()
            try:
                assert await flood.wait_open(30), f"could not open the connections: {flood.stats}"
                results = await probe_during("127.0.0.1", port, ["/health", f"/v1/eligibility/{ELIGIBLE}"],
                                             seconds=6, interval=0.05)
            finally:
                await flood.stop()
            return results, flood

        results, flood = asyncio.run(attack())
    for path, result in results.items():
        assert result.total >= 10 and result.failed == 0, (path, result.errors)
    # the head deadline (5 s) closed silent and slow-header connections (each reopened at once)
    assert flood.stats.closed_idle > 0 and flood.stats.closed_slow > 0, flood.stats
    log = (tmp_path / "data" / "serve.log").read_text()
    assert f"open-file limit {resource.getrlimit(resource.RLIMIT_NOFILE)[1]} (raised from 1024)" in log


def test_killed_embedded_postgres_fails_fast_and_recovers(tmp_path: Path) -> None:
    """Issue 10, item 4: 503 + Retry-After within ~2 s, /ready within 1 s, supervised restart; and
    the holder pages (no database in their path) answer 200 throughout."""
    with demo_server(tmp_path) as (base, pgdata, _):
        figures = one_outage(base, pgdata, load=2)
    assert figures["failures_not_503"] == 0 and figures["failures_without_retry_after"] == 0, figures
    assert figures["first_503"] <= 2.0 and figures["slowest_failure"] <= POOL_TIMEOUT_SECONDS + 1.0, figures
    assert figures["ready_down_answers"] > 0 and figures["ready_503_false"] == figures["ready_down_answers"], figures
    # the server gives /ready 0.6 s (READINESS_BUDGET_SECONDS); the rest is room for a loaded CI host
    assert figures["ready_slowest"] <= 1.5, figures
    assert figures["recovery"] <= 2.0, figures
    # the holder pages need no database: they answer throughout, and were asked while it was down
    assert figures["page_failures"] == 0 and figures["page_answers_while_down"] > 0, figures
    log = (tmp_path / "serve.log").read_text()
    assert "embedded PostgreSQL (pid" in log and "is not running; restarting it" in log
    assert "embedded PostgreSQL restarted (pid" in log


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path, database_url: str) -> None:
    """Issue 10, item 5: kill -9 under proofs and decisions, restart, check (benchmarks/sigkill.py runs more rounds)."""
    rounds = list(run_rounds(tmp_path, rounds=2, seconds=1.5, holders=3, database_url=database_url,
                             token_for=lambda url, key: create_key(url, "fault-reviewer", "approver",
                                                                  audit_key=key)))
    for result in rounds:
        assert result.found_requests == result.acked_requests, result
        assert result.found_decisions == result.acked_decisions, result
        assert result.verify == "ok", result
    assert sum(r.acked_requests for r in rounds) > 0 and sum(r.acked_decisions for r in rounds) > 0, rounds


def test_sigkilled_worker_is_restarted_under_load_and_loses_nothing(tmp_path: Path, database_url: str) -> None:
    """Issue 19: only the worker dies (the parent stays): the next request after a short window
    succeeds, nothing acknowledged is lost, the log names the signal, /metrics counts the restart."""
    import datetime as dt

    from benchmarks.sigkill import ACCOUNTS, SERVE_ENV, found, traffic
    from benchmarks.worker_restart import kill_under_load, metric
    from portal.demo import build_demo_snapshots
    from portal.domain.audit_keys import ensure_key_file

    snapshots = build_demo_snapshots(tmp_path / "snapshots")
    data = tmp_path / "data"
    with portal_process(data, snapshots, env={**SERVE_ENV, "DATABASE_URL": database_url},
                        ready_timeout=120) as (base, process):
        port = int(base.rsplit(":", 1)[1])
        server_key, _ = ensure_key_file(data / "audit.key", now=dt.datetime.now(dt.UTC))
        token = create_key(database_url, "fault-reviewer", "approver", audit_key=server_key)
        result = kill_under_load(port, data / "serve.log", database_url, token, ACCOUNTS,
                                 traffic=traffic, found=found, before=2.0, after=1.5)
        assert process.poll() is None, "the parent must outlive its worker"
        restarts = metric(port, "portal_worker_restarts_total")
    assert result["restart_seconds"] <= 5.0, result
    assert result["acked_requests"] > 0 and result["acked_decisions"] > 0, result
    assert result["found_requests"] == result["acked_requests"], result
    assert result["found_decisions"] == result["acked_decisions"], result
    assert restarts == 1.0
    log = (data / "serve.log").read_text()
    assert "killed by signal SIGKILL" in log and "restart 1" in log and "portal: worker restarted (pid" in log
