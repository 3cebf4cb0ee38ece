"""Operations: liveness and readiness."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from portal.domain.readiness import ReadinessReport, check_readiness


class Health(msgspec.Struct, frozen=True):
    status: str


_ALIVE = Health(status="ok")


@get("/health", operation_id="getHealth", sync_to_thread=False, tags=["operations"],
     summary="The process is alive")
def health() -> Health:
    return _ALIVE


@get("/ready", operation_id="getReady", tags=["operations"],
     summary="Database reachable, snapshot loaded, policy current")
async def ready(state: State) -> Response[ReadinessReport]:
    runtime = state.runtime
    report = await check_readiness(runtime.db, len(runtime.snapshots.snapshots), runtime.readiness_checks)
    return Response(report, status_code=HTTP_200_OK if report.ready else HTTP_503_SERVICE_UNAVAILABLE)
