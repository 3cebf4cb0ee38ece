"""The audit log over HTTP: events for admins, signed checkpoints for everyone, and the checkpointer.

``GET /v1/audit/checkpoints`` is public on purpose. A checkpoint carries a count, an HMAC and a
time, nothing about any holder or decision, and its worth is in being copied to places the
database's holder does not control: any mirror, auditor or holder may fetch it without credentials
and check it with the published ed25519 public key. The checkpoints come from the checkpoint file,
never from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.params import Parameter

from portal.domain import audit, audit_checkpoints
from portal.domain.audit_keys import AuditKey
from portal.domain.context import UseCaseContext
from portal.errors import PortalError
from portal.http.auth import require_role
from portal.http.background import running
from portal.http.deps import Ctx
from portal.http.problems import problem_responses
from portal.store import audit_notify

logger = logging.getLogger("portal.audit")


class AuditPage(msgspec.Struct, frozen=True):
    """``next_after`` is the ``after`` of the next page (None at the end of the log)."""

    events: list[audit.AuditEvent]
    next_after: int | None


class CheckpointFeed(msgspec.Struct, frozen=True):
    """``public_key`` (hex ed25519) verifies each checkpoint's signature over
    ``migration-portal audit checkpoint\\nseq:<seq>\\nhead:<head_hash>\\nat:<at>``; oldest first."""

    public_key: str
    checkpoints: list[audit_checkpoints.Checkpoint]


@get("/v1/audit", operation_id="listAuditEvents", tags=["staff"], guards=[require_role("admin")],
     summary="Audit events after a sequence number", responses=problem_responses(400, 401, 403))
async def list_audit_events(
    ctx: Ctx,
    after: Annotated[int, Parameter(ge=0, description="return events with seq greater than this")] = 0,
    limit: Annotated[int, Parameter(ge=1, le=1000, description="page size")] = 100,
) -> AuditPage:
    async with ctx.db.transaction() as conn:
        events = await audit.events_after(conn, after, limit)
    return AuditPage(events, events[-1].seq if len(events) == limit else None)


@get("/v1/audit/checkpoints", operation_id="listAuditCheckpoints", tags=["audit"],
     summary="The newest signed checkpoints of the audit chain (public, for mirrors)",
     responses=problem_responses(400))
async def list_audit_checkpoints(
    ctx: Ctx,
    state: State,
    limit: Annotated[int, Parameter(ge=1, le=1000, description="how many of the newest")] = 100,
) -> CheckpointFeed:
    path = ctx.settings.audit_checkpoint_path
    found = await asyncio.to_thread(audit_checkpoints.tail, path, limit) if path else []
    return CheckpointFeed(state.runtime.audit_key.public_key, found)


async def _checkpoint_on_events(ctx: UseCaseContext, key: AuditKey, path: str, wake: asyncio.Event,
                                every_seconds: int) -> None:
    """Sign a checkpoint soon after audit events commit (woken by ``wake``), and on the timer anyway.

    Debounced: after a wake-up it waits ``DEBOUNCE_SECONDS`` so a burst of decisions costs one
    checkpoint, then clears the flag before signing, so events committed meanwhile wake it again.
    A commit is covered within ``CHECKPOINT_BOUND_SECONDS`` (the notification, the debounce, the
    read and the fsync), which is what ``portal audit verify`` holds the chain to.
    """
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=every_seconds)
        await asyncio.sleep(audit_checkpoints.DEBOUNCE_SECONDS)
        wake.clear()
        try:
            made = await audit_checkpoints.make_checkpoint(ctx.db, key, path, now=ctx.now())
        except PortalError as exc:  # broken chain or database down: say so loudly, sign nothing
            logger.error("audit checkpoint not made: %s", exc.detail)
            continue
        if made is not None:
            logger.debug("audit checkpoint seq %d signed", made.seq)


async def _listen(conninfo: str, wake: asyncio.Event) -> None:
    async for _ in audit_notify.wake_ups(conninfo):
        wake.set()


@contextlib.asynccontextmanager
async def checkpointer(app: Litestar) -> AsyncIterator[None]:
    """A lifespan entered after the one that builds ``app.state.runtime``; off when 0 s.

    With ``DATABASE_URL`` and no ``PORTAL_AUDIT_CHECKPOINT_FILE`` the file is a default one on this
    host, so say at start that it must be mirrored elsewhere: a file beside the database protects
    nothing from whoever holds the host.
    """
    ctx: UseCaseContext = app.state.runtime.ctx
    path, every = ctx.settings.audit_checkpoint_path, ctx.settings.audit_checkpoint_seconds
    if every == 0:
        logger.warning("PORTAL_AUDIT_CHECKPOINT_SECONDS=0: no audit checkpoints, so `portal audit verify` "
                       "cannot hold the newest events to anything and will fail")
        yield
        return
    if ctx.settings.database_url is not None and ctx.settings.audit_checkpoint_file is None:
        logger.warning("audit checkpoints go to %s on this host by default: mirror it off the host (copy the "
                       "file or GET /v1/audit/checkpoints on a timer), or set PORTAL_AUDIT_CHECKPOINT_FILE", path)
    wake = asyncio.Event()
    async with running(_listen(ctx.db.pool.conninfo, wake), "portal-audit-wake-ups"), \
            running(_checkpoint_on_events(ctx, app.state.runtime.audit_key, path, wake, every),
                    "portal-audit-checkpoints"):
        yield
