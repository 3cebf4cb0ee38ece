"""Claim status from the chain: which entries of each published release have been claimed.

Why: a holder's request page should say "claimed on <date>, transaction <tx>" instead of leaving
them to wonder whether the claim went through; staff need released/claimed/unclaimed counts. The
answer is the distributor's own ``Claimed`` events, read in ranges of at most ``MAX_BLOCK_RANGE``
blocks (what public nodes allow for ``eth_getLogs``) from where the last pass stopped
(``releases.synced_block``; the first pass starts at ``PORTAL_CLAIM_SYNC_FROM_BLOCK``). Solana
releases: the ClaimStatus accounts of the entries not yet seen claimed (``portal.domain.solana_claims``).

The transaction rule of ``portal.domain.context``: the node is asked outside any transaction, and
each range's claims and cursor are stored in one short transaction after it. A node that is down
stops the pass where it is; nothing stored is wrong, only older, and ``synced_at`` says how old. A
node of another EVM chain than ``PORTAL_EVM_CHAIN_ID`` is not read at all (it would say "nothing
claimed"): the pass is stale, and says why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import msgspec

from policy.release import decode_entries
from portal.domain import release_reads
from portal.domain.claim_reader import ClaimReader
from portal.domain.context import UseCaseContext
from portal.domain.solana_claims import BATCH as SOLANA_BATCH
from portal.domain.solana_claims import SolanaClaimReader, claim_status_address
from portal.errors import RpcUnavailableError
from portal.store import releases as store

MAX_BLOCK_RANGE = 10_000
logger = logging.getLogger("portal.claims")


class SyncReport(msgspec.Struct):
    """What one pass did: releases read, ranges asked, claims newly seen, RPC calls, and whether the
    node failed part way (``stale``)."""

    releases: int = 0
    ranges: int = 0
    claims: int = 0
    rpc_calls: int = 0
    head: int | None = None
    stale: bool = False
    error: str | None = None


def ranges(start: int, end: int, size: int = MAX_BLOCK_RANGE) -> list[tuple[int, int]]:
    """``[start, end]`` in inclusive pieces of at most ``size`` blocks."""
    return [(low, min(low + size - 1, end)) for low in range(start, end + 1, size)]


async def sync_evm(ctx: UseCaseContext, reader: ClaimReader) -> SyncReport:
    """One pass over every published EVM release with a distributor."""
    report = SyncReport()
    before = reader.calls
    try:
        async with ctx.db.transaction() as conn:
            todo = await store.to_sync(conn, "evm")
        report.releases = len(todo)
        if not todo:
            return report
        head = report.head = await asyncio.to_thread(reader.head)
        answered = await asyncio.to_thread(reader.chain_id)
        if answered != ctx.settings.evm_chain_id:
            report.stale = True
            report.error = (f"the node answers for chain id {answered}, but this server's EVM releases are claimed on "
                            f"chain id {ctx.settings.evm_chain_id}: check PORTAL_EVM_RPC_URL and PORTAL_EVM_CHAIN_ID")
            logger.warning("claim status sync skipped: %s", report.error)
            return report
        for release in todo:
            start = ctx.settings.claim_sync_from_block if release.synced_block is None else release.synced_block + 1
            for low, high in ranges(start, head):
                events = await asyncio.to_thread(reader.claimed, release.distributor, low, high)
                times = await asyncio.to_thread(reader.block_times, sorted({e.block for e in events}))
                claims = [store.ClaimRow(e.index, dt.datetime.fromtimestamp(times[e.block], dt.UTC), e.tx, e.block)
                          for e in events if 0 <= e.index < release.entry_count]
                async with ctx.db.transaction() as conn:
                    await store.record_claims(conn, release.destination_chain, release.number, claims)
                    await store.mark_synced(conn, release.destination_chain, release.number, high, ctx.now())
                report.ranges += 1
                report.claims += len(claims)
            if start > head:  # nothing new: still say the status was checked now
                async with ctx.db.transaction() as conn:
                    await store.mark_synced(conn, release.destination_chain, release.number, head, ctx.now())
    except RpcUnavailableError as exc:
        report.stale, report.error = True, exc.detail
        logger.warning("claim status sync stopped: %s", exc.detail)
    finally:
        report.rpc_calls = reader.calls - before
    return report


async def sync_solana(ctx: UseCaseContext, reader: SolanaClaimReader) -> SyncReport:
    """One pass over every published Solana release with a distributor and program: the ClaimStatus
    account of each entry not yet seen claimed, 100 to a ``getMultipleAccounts`` call."""
    report = SyncReport()
    before = reader.calls
    try:
        pending: list[tuple[store.ToSync, list[tuple[int, str]]]] = []
        async with ctx.db.transaction() as conn:
            for release in await store.to_sync(conn, "solana"):
                if not release.program:
                    continue
                entries = decode_entries(await release_reads.entries_file(conn, "solana", release.number))
                claimed = await store.claimed_indices(conn, "solana", release.number)
                pending.append((release, [(e.index, e.destination) for e in entries if e.index not in claimed]))
        report.releases = len(pending)
        for release, waiting in pending:
            addresses = await asyncio.to_thread(lambda r=release, w=waiting: [
                claim_status_address(r.program, r.distributor, destination) for _, destination in w])
            found, slot = await asyncio.to_thread(reader.claimed, release.program, addresses)
            now = ctx.now()
            claims = [store.ClaimRow(index, now, None, slot) for (index, _), hit in zip(waiting, found, strict=True)
                      if hit]
            async with ctx.db.transaction() as conn:
                await store.record_claims(conn, "solana", release.number, claims)
                await store.mark_synced(conn, "solana", release.number, slot, now)
            report.ranges += -(-len(addresses) // SOLANA_BATCH)
            report.claims += len(claims)
            report.head = slot
    except RpcUnavailableError as exc:
        report.stale, report.error = True, exc.detail
        logger.warning("Solana claim status sync stopped: %s", exc.detail)
    finally:
        report.rpc_calls = reader.calls - before
    return report


async def sync_forever(passes: list[Callable[[], Awaitable[SyncReport]]], every_seconds: float) -> None:
    """The lifespan loop: each chain's pass, then wait; a failed pass is logged and retried next time."""
    while True:
        for one_pass in passes:
            try:
                await one_pass()
            except Exception:  # a database outage must not end the loop; the next pass tries again
                logger.exception("claim status sync failed")
        await asyncio.sleep(every_seconds)
