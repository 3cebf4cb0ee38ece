"""The app factory: all wiring lives here, and nothing else builds a Litestar app.

``create_app(settings)`` returns an app whose lifespan opens the database pool and the snapshot
artifacts and closes them on shutdown. No module-level state: two apps in one process (as the
tests make) share nothing but the Prometheus registry, which is process-wide by design.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.prometheus import PrometheusConfig

from portal.domain import audit as audit_domain
from portal.domain import destinations as destinations_domain
from portal.domain import policies as policy_domain
from portal.domain import policy_roots
from portal.domain.eligibility import SnapshotSet
from portal.domain.jwt_auth import HttpxJwksFetcher, JwtVerifier
from portal.domain.proofs.chain import EvmChain, Web3Chain
from portal.domain.proofs.solana_onchain import RpcSolanaChain, SolanaChain
from portal.errors import PortalError
from portal.http import (
    allowlist,
    audit,
    canned_replies,
    cases,
    cases_console,
    cases_pages,
    console,
    csp,
    error_pages,
    health,
    holders,
    links,
    pages,
    policy_api,
    policy_pages,
    release_pages,
    releases,
    review,
    safe_signatures,
    snapshot_check,
    snapshots,
    templating,
)
from portal.http.allow import complete_allow
from portal.http.auth import provide_staff
from portal.http.background import running
from portal.http.claim_status import claim_syncer
from portal.http.deps import provide_ctx
from portal.http.fast.request_metrics import RouteMetricsMiddleware
from portal.http.fast.throttle import throttled_posts
from portal.http.input_guard import DEFAULT_MAX_BODY_BYTES, InputGuardPlugin
from portal.http.metrics import MetricsController, observe_rpc, queue_gauges
from portal.http.openapi import openapi_config, tighten
from portal.http.pages.layout import TEMPLATES_STATE_KEY, banner_refresher
from portal.http.problems import problem_details_plugin
from portal.runtime import Clock, Runtime, utc_now
from portal.settings import Settings
from portal.store import holder_rows
from portal.store.database import POOL_TIMEOUT_SECONDS, Database, app_role_url
from portal.store.limits import WINDOW_SECONDS, MemoryLimiter, PostgresLimiter

logger = logging.getLogger("portal")

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
    audit.list_audit_checkpoints,
    allowlist.get_allowlist,
    *policy_api.ROUTES,
    *policy_pages.ROUTES,
    *releases.ROUTES,
    *release_pages.ROUTES,
    *links.ROUTES,
    *holders.ROUTES,
    *safe_signatures.ROUTES,
    *pages.ROUTES,
    review.claim_chosen,
    review.release,
    review.escalate,
    review.reopen,
    *console.ROUTES,
    *snapshot_check.ROUTES,  # issue 23
    *cases.ROUTES,
    *cases_pages.ROUTES,
    *cases_console.ROUTES,
    *canned_replies.ROUTES,
]


def create_app(settings: Settings, *, clock: Clock = utc_now, evm_chain: EvmChain | None = None,
               solana_chain: SolanaChain | None = None) -> Litestar:
    """Build the app; the database at ``settings.database_url`` must already be migrated.

    The app connects as the ``portal_app`` role (``PORTAL_APP_DATABASE_URL``, or the owner's URL
    with that user), never as the owner: it can append to the audit log but not rewrite it.
    """
    if settings.database_url is None and settings.app_database_url is None:
        raise ValueError("create_app needs settings.database_url (the CLI starts an embedded server first)")
    app_url = settings.app_database_url or app_role_url(settings.database_url)  # type: ignore[arg-type]

    policy_root = policy_roots.load_anchor(settings.policy_root)
    destinations = destinations_domain.load(settings.destinations_file)
    chain = evm_chain
    if chain is None and settings.evm_rpc_url:
        chain = Web3Chain.from_url(settings.evm_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                   on_call=observe_rpc)
    if solana_chain is None and settings.solana_rpc_url:
        solana_chain = RpcSolanaChain(settings.solana_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                      on_call=observe_rpc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        snapshot_set = SnapshotSet.open(settings.snapshots, destinations)
        audit_key = audit_domain.key_for(settings)
        jwks_fetcher = HttpxJwksFetcher(settings.rpc_timeout_seconds)
        jwt_verifier = JwtVerifier(settings.jwt_issuers, jwks_fetcher, now=lambda: clock().timestamp())
        db = await Database.open(app_url, size=settings.db_pool_size, timeout=POOL_TIMEOUT_SECONDS,
                                 audit_chain_key=audit_key.chain_key)
        limiter = MemoryLimiter() if settings.rate_limit_backend == "memory" else PostgresLimiter(db)
        runtime = Runtime(settings=settings, db=db, snapshots=snapshot_set, audit_key=audit_key, clock=clock,
                          jwt_verifier=jwt_verifier, policy_root=policy_root, evm_chain=chain,
                          solana_chain=solana_chain, limiter=limiter)
        runtime.readiness_checks.append(("policy", lambda: policy_domain.readiness(db, clock())))
        app.state.runtime = runtime
        db.holder_rows = holder_rows.HolderRows(settings.holder_cache_entries)
        try:
            async with running(holder_rows.follow(db.pool.conninfo, db.holder_rows), "portal-holder-rows"):
                yield
        finally:
            if isinstance(limiter, PostgresLimiter):
                await limiter.close()
            await db.close()
            await jwks_fetcher.aclose()
            snapshot_set.close()

    prometheus = PrometheusConfig(app_name="portal", prefix="portal", group_path=True, exclude=["/metrics"],
                                  middleware_class=RouteMetricsMiddleware)
    logging.getLogger("portal").setLevel(settings.log_level)
    templates = templating.environment()
    return Litestar(
        route_handlers=[*ROUTE_HANDLERS, MetricsController],
        lifespan=[lifespan, banner_refresher, queue_gauges, audit.checkpointer, limit_sweeper, replica_warnings,
                  claim_syncer],
        on_startup=[lambda app: tighten(app.openapi_schema)],   # /schema serves what openapi.yaml says
        dependencies={"staff": Provide(provide_staff, sync_to_thread=False),
                      "ctx": Provide(provide_ctx, sync_to_thread=False)},
        middleware=[prometheus.middleware, console.csrf_middleware(settings), *rate_limits(settings),
                    *console.sign_in_rate_limit(settings),
                    csp.middleware(walletconnect=settings.walletconnect_project_id is not None)],
        template_config=templating.template_config(templates),
        state=State({TEMPLATES_STATE_KEY: templates}),
        plugins=[problem_details_plugin(), InputGuardPlugin(settings.max_header_bytes)],
        exception_handlers=dict(error_pages.EXCEPTION_HANDLERS),  # 404/405 as pages for browsers
        openapi_config=openapi_config(),
        request_max_body_size=DEFAULT_MAX_BODY_BYTES,
        before_send=[complete_allow],
        debug=False,
    )


def rate_limits(settings: Settings) -> list:
    """Per-client limits on the POST routes holders use; 0 turns them off.

    Counted in PostgreSQL by default (``portal.store.limits``), so every process and host on the
    database shares one count per client: N replicas admit what one would.
    """
    if settings.rate_limit_per_minute == 0:
        return []
    return [throttled_posts("holders", settings.rate_limit_per_minute,
                            holders.RATE_LIMITED_PATHS | pages.RATE_LIMITED_PATHS | safe_signatures.RATE_LIMITED_PATHS
                            | cases.RATE_LIMITED_PATHS | cases_pages.RATE_LIMITED_PATHS)]


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(WINDOW_SECONDS)
        try:
            await runtime.limiter.sweep()  # type: ignore[union-attr]
        except PortalError as exc:  # the database is down: the next round tries again
            logger.warning("rate-limit windows not swept: %s", exc.detail)


@contextlib.asynccontextmanager
async def limit_sweeper(app: Litestar) -> AsyncIterator[None]:
    """Deletes ended rate-limit windows once a minute (every replica does; the DELETE is idempotent)."""
    async with running(_sweep_forever(app.state.runtime), "portal-limit-sweeper"):
        yield


@contextlib.asynccontextmanager
async def replica_warnings(app: Litestar) -> AsyncIterator[None]:
    """Says at start what will not hold across processes with this configuration."""
    settings: Settings = app.state.runtime.settings
    if settings.csrf_secret is None:
        logger.warning("PORTAL_CSRF_SECRET is not set: this process made its own, so a console form or session "
                       "token made by one worker or replica is refused by another (403 csrf_failed); set the same "
                       "secret on every host")
    if settings.rate_limit_backend == "memory":
        logger.warning("PORTAL_RATE_LIMIT_BACKEND=memory: each process counts on its own, so N workers or replicas "
                       "admit N times the limits")
    yield
