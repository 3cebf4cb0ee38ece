"""The app factory: all wiring lives here, and nothing else builds a Litestar app.

``create_app(settings)`` returns an app whose lifespan opens the database pool and the snapshot
artifacts and closes them on shutdown. No module-level state: two apps in one process (as the
tests make) share nothing but the Prometheus registry, which is process-wide by design.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from portal.domain import destinations as destinations_domain
from portal.domain import policies as policy_domain
from portal.domain.eligibility import SnapshotSet
from portal.domain.jwt_auth import HttpxJwksFetcher, JwtVerifier
from portal.domain.proofs.chain import EvmChain, Web3Chain
from portal.http import allowlist, audit, console, csp, health, holders, pages, policies, review, snapshots
from portal.http.auth import provide_staff
from portal.http.metrics import observe_rpc, queue_gauges
from portal.http.openapi import openapi_config
from portal.http.problems import problem_details_plugin
from portal.http.request_metrics import RouteMetricsMiddleware
from portal.http.templating import template_config
from portal.services import Clock, Services, utc_now
from portal.settings import Settings
from portal.store.database import Database

ROUTE_HANDLERS = [
    health.health,
    health.ready,
    snapshots.list_snapshots,
    snapshots.get_eligibility,
    review.list_queue,
    review.claim,
    review.get_request,
    review.decide,
    audit.list_audit_events,
    allowlist.get_allowlist,
    *policies.ROUTES,
    *holders.ROUTES,
    *pages.ROUTES,
    review.claim_chosen,
    review.release,
    review.escalate,
    review.reopen,
    *console.ROUTES,
]


def create_app(settings: Settings, *, clock: Clock = utc_now, evm_chain: EvmChain | None = None) -> Litestar:
    """Build the app; the database at ``settings.database_url`` must already be migrated."""
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url (the CLI starts an embedded server first)")

    policy_root = policy_domain.load_root(settings.policy_root)
    destinations = destinations_domain.load(settings.destinations_file)
    chain = evm_chain
    if chain is None and settings.evm_rpc_url:
        chain = Web3Chain.from_url(settings.evm_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                   on_call=observe_rpc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        snapshot_set = SnapshotSet.open(settings.snapshots, destinations)
        jwks_fetcher = HttpxJwksFetcher(settings.rpc_timeout_seconds)
        jwt_verifier = JwtVerifier(settings.jwt_issuers, jwks_fetcher, now=lambda: clock().timestamp())
        db = await Database.open(settings.database_url, size=settings.db_pool_size)  # type: ignore[arg-type]
        services = Services(settings=settings, db=db, snapshots=snapshot_set, clock=clock,
                            jwt_verifier=jwt_verifier, policy_root=policy_root, evm_chain=chain)
        services.readiness_checks.append(("policy", lambda: policy_domain.readiness(db, clock())))
        app.state.services = services
        try:
            yield
        finally:
            await db.close()
            await jwks_fetcher.aclose()
            snapshot_set.close()

    prometheus = PrometheusConfig(app_name="portal", prefix="portal", group_path=True, exclude=["/metrics"],
                                  middleware_class=RouteMetricsMiddleware)
    logging.getLogger("portal").setLevel(settings.log_level)
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, PrometheusController],
        lifespan=[lifespan, queue_gauges],
        dependencies={"staff": Provide(provide_staff, sync_to_thread=False)},
        middleware=[prometheus.middleware, *rate_limits(settings), *console.sign_in_rate_limit(settings),
                    csp.middleware(walletconnect=settings.walletconnect_project_id is not None)],
        template_config=template_config(),
        csrf_config=console.csrf_config(settings),
        plugins=[problem_details_plugin()],
        openapi_config=openapi_config(),
        debug=False,
    )


def rate_limits(settings: Settings) -> list:
    """Per-client limits on the two POST routes holders use (Litestar's middleware); 0 turns them off.

    The counters live in the app's default in-memory store, so each worker counts on its own; behind
    several replicas, put a shared store in front or divide the limit.
    """
    if settings.rate_limit_per_minute == 0:
        return []

    def throttled(request: Request) -> bool:
        return request.method == "POST" and request.url.path in holders.RATE_LIMITED_PATHS

    config = RateLimitConfig(rate_limit=("minute", settings.rate_limit_per_minute),
                             check_throttle_handler=throttled)
    return [config.middleware]
