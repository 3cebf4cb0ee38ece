"""The claim-status sync as a lifespan: with ``PORTAL_EVM_RPC_URL``, a pass every
``PORTAL_CLAIM_SYNC_SECONDS`` (0 turns it off) over the published EVM releases
(``portal.domain.claim_sync``); its RPC calls feed the same latency histogram as the verifiers'."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from portal.domain.claim_reader import Web3ClaimReader
from portal.domain.claim_sync import sync_forever
from portal.domain.context import UseCaseContext
from portal.http.background import running
from portal.http.metrics import observe_rpc


@contextlib.asynccontextmanager
async def claim_syncer(app: Litestar) -> AsyncIterator[None]:
    """Entered after the lifespan that builds ``app.state.runtime``."""
    ctx: UseCaseContext = app.state.runtime.ctx
    settings = ctx.settings
    if not settings.evm_rpc_url or settings.claim_sync_seconds == 0:
        yield
        return
    reader = Web3ClaimReader.from_url(settings.evm_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                      on_call=observe_rpc)
    async with running(sync_forever(ctx, reader, settings.claim_sync_seconds), "portal-claim-sync"):
        yield
