"""Readiness: can this replica answer holders right now?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from portal.services import Services


class Check(msgspec.Struct, frozen=True):
    ok: bool
    detail: str


class ReadinessReport(msgspec.Struct, frozen=True):
    ready: bool
    checks: dict[str, Check]


async def check_readiness(services: Services) -> ReadinessReport:
    checks: dict[str, Check] = {}
    database_ok = await services.db.ping()
    checks["database"] = Check(database_ok, "reachable" if database_ok else "unreachable")
    count = len(services.snapshots.snapshots)
    checks["snapshot"] = Check(count > 0, f"{count} snapshot(s) loaded")
    for name, check in services.readiness_checks:
        checks[name] = await check()
    return ReadinessReport(all(check.ok for check in checks.values()), checks)
