"""Readiness: can this replica answer holders right now?

The answer is bounded in time (issue 10): during a database outage ``/ready`` must say "no" within
a second, not hang behind the pool. The checks run concurrently and each one that has not
finished within ``READINESS_BUDGET_SECONDS`` counts as failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from portal.store.database import Database

READINESS_BUDGET_SECONDS = 0.6


class Check(msgspec.Struct, frozen=True):
    ok: bool
    detail: str


class ReadinessReport(msgspec.Struct, frozen=True):
    ready: bool
    checks: dict[str, Check]


#: A further check the app registers at start (e.g. the policy's), run beside the database's.
ReadinessCheck = Callable[[], Awaitable[Check]]


async def _database(db: Database) -> Check:
    ok = await db.ping()
    return Check(ok, "reachable" if ok else "unreachable")


async def _bounded(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
    try:
        async with asyncio.timeout(READINESS_BUDGET_SECONDS):
            return await check()
    except TimeoutError:
        return Check(False, f"{name} check timed out after {READINESS_BUDGET_SECONDS} s")
    except Exception as exc:
        return Check(False, f"{name} check failed: {type(exc).__name__}")


async def check_readiness(db: Database, snapshot_count: int,
                          extra_checks: Sequence[tuple[str, ReadinessCheck]] = ()) -> ReadinessReport:
    """Database, snapshots and ``extra_checks``, each bounded in time. Takes the parts it reads rather than
    the app's ``Runtime``, so the domain does not import the layer that wires it."""
    named: list[tuple[str, ReadinessCheck]] = [("database", lambda: _database(db)), *extra_checks]
    results = await asyncio.gather(*(_bounded(name, check) for name, check in named))
    checks = {"database": results[0], "snapshot": Check(snapshot_count > 0, f"{snapshot_count} snapshot(s) loaded")}
    checks.update({name: result for (name, _), result in zip(named[1:], results[1:], strict=True)})
    return ReadinessReport(all(check.ok for check in checks.values()), checks)
