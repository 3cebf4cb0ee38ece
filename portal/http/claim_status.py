"""The claim-status sync as a lifespan: a pass every ``PORTAL_CLAIM_SYNC_SECONDS`` (0 turns it off)
over the published EVM releases (with ``PORTAL_EVM_RPC_URL``) and Solana releases (with
``PORTAL_SOLANA_RPC_URL``), ``portal.domain.claim_sync``; its RPC calls feed the same latency
histogram as the verifiers'."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from portal.domain.claim_reader import Web3ClaimReader
from portal.domain.claim_sync import sync_evm, sync_forever, sync_solana
from portal.domain.context import UseCaseContext
from portal.domain.solana_claims import SolanaClaimReader
from portal.http.background import running
from portal.http.metrics import observe_rpc


@contextlib.asynccontextmanager
async def claim_syncer(app: Litestar) -> AsyncIterator[None]:
    """Entered after the lifespan that builds ``app.state.runtime``."""
    ctx: UseCaseContext = app.state.runtime.ctx
    settings = ctx.settings
    passes = []
    solana = None
    if settings.evm_rpc_url:
        evm = Web3ClaimReader.from_url(settings.evm_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                       on_call=observe_rpc)
        passes.append(lambda: sync_evm(ctx, evm))
    if settings.solana_rpc_url:
        solana = SolanaClaimReader(settings.solana_rpc_url, timeout_seconds=settings.rpc_timeout_seconds,
                                   on_call=observe_rpc)
        passes.append(lambda: sync_solana(ctx, solana))
    if not passes or settings.claim_sync_seconds == 0:
        yield
        return
    try:
        async with running(sync_forever(passes, settings.claim_sync_seconds), "portal-claim-sync"):
            yield
    finally:
        if solana is not None:
            solana.close()
