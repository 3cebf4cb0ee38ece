"""Prometheus gauges of the review queue, refreshed by a background task of each app's lifespan.

Why module level: prometheus_client registers every metric in one process-wide registry and refuses
a second metric of the same name, so these objects must exist once per process, not once per app
(tests build many apps in one process; each app's task simply sets the same gauges).

Why a background task rather than a collector run at scrape time: the database is reached through
the async pool, and a collector is called synchronously inside the scrape; a task that runs one
``GROUP BY status`` every ``QUEUE_GAUGE_REFRESH_SECONDS`` costs the database almost nothing and keeps
scrapes instant. Figures are at most that many seconds old. Under several workers
(``PROMETHEUS_MULTIPROC_DIR``) every worker refreshes, and ``mostrecent`` reports the latest value.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar, MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Counter, Gauge, Histogram

from portal.domain import review
from portal.errors import PortalError
from portal.http.background import running
from portal.runtime import Runtime

QUEUE_GAUGE_REFRESH_SECONDS = 5.0
WAITING_FOR_STAFF = (review.Status.PENDING_REVIEW, review.Status.AWAITING_SECOND_APPROVAL)
logger = logging.getLogger("portal.http.metrics")

QUEUE_DEPTH = Gauge("portal_queue_depth", "Manual-allowlist requests by status", ["status"],
                    multiprocess_mode="mostrecent")
QUEUE_OLDEST_PENDING = Gauge("portal_queue_oldest_pending_seconds",
                             "Age of the oldest request waiting for staff (pending review or second approval)",
                             multiprocess_mode="mostrecent")


async def refresh_queue_gauges(runtime: Runtime) -> None:
    async with runtime.db.transaction() as conn:
        stats = {stat.status: stat for stat in await review.queue_stats(conn)}
    for status in review.Status:
        QUEUE_DEPTH.labels(status=str(status)).set(stats[status].depth if status in stats else 0)
    waiting = [stats[status].oldest_created_at for status in WAITING_FOR_STAFF if status in stats]
    age = (runtime.clock() - min(waiting)).total_seconds() if waiting else 0.0
    QUEUE_OLDEST_PENDING.set(max(age, 0.0))


async def _refresh_forever(runtime: Runtime) -> None:
    while True:
        try:
            await refresh_queue_gauges(runtime)
        except PortalError as exc:  # the database is down: /ready says so; the gauges keep their last value
            logger.warning("queue gauges not refreshed: %s", exc.detail)
        await asyncio.sleep(QUEUE_GAUGE_REFRESH_SECONDS)


@contextlib.asynccontextmanager
async def queue_gauges(app: Litestar) -> AsyncIterator[None]:
    """A lifespan entered after the one that builds ``app.state.runtime``."""
    async with running(_refresh_forever(app.state.runtime), "portal-queue-gauges"):
        yield


WORKER_RESTARTS = Counter("portal_worker_restarts", "Times portal serve restarted its (single) worker after it died; "
                          "set by the supervisor when it starts this worker")


def record_worker_restarts(count: int) -> None:
    """Called once by a worker ``portal serve`` started (``portal.cli.worker``), with the restarts before it.

    The count lives in the supervising parent, which outlives every worker; a counter kept in a
    worker would start from zero in each new one.
    """
    WORKER_RESTARTS.inc(max(count, 0))


RPC_LATENCY = Histogram("portal_rpc_latency_seconds", "RPC call latency by method (EVM and Solana)", ["method"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe_rpc(method: str, seconds: float) -> None:
    RPC_LATENCY.labels(method=method).observe(seconds)


class MetricsController(PrometheusController):
    """Litestar's ``/metrics``, documented as what it is: the Prometheus text format, not JSON."""

    @get(operation_id="getMetrics", tags=["operations"], media_type=MediaType.TEXT,
         summary="Prometheus metrics (text exposition format)",
         responses={200: ResponseSpec(str, media_type=MediaType.TEXT, generate_examples=False,
                                      description="Prometheus text exposition format")})
    async def get(self) -> Response:
        return await PrometheusController.get.fn(self)
