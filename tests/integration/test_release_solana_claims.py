"""Claim status of a Solana release from ClaimStatus accounts on LiteSVM, through its JSON-RPC front.

The merkle-distributor program binary is on no registry (jup-ag and Jito publish source only), so
the program does not run here: the ClaimStatus accounts ``new_claim`` would create are placed at the
PDA it derives (``seeds = [b"ClaimStatus", claimant, distributor]``, ``new_claim.rs``), owned by the
program. The PDA is computed here from its definition (sha256 of the seeds, the bump, the program
and ``"ProgramDerivedAddress"``, the first bump from 255 down that does not decompress to an ed25519
point), independently of the portal's ``solders`` call, and every address the portal derives is
checked against it.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from solders.account import Account
from solders.pubkey import Pubkey

from portal.domain import claim_sync
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.domain.solana_claims import SolanaClaimReader, claim_status_address
from portal.settings import Settings
from portal.store.database import Database
from snapshot.addresses import b58encode, parse_address
from tests.chains.solana_front import SolanaFront
from tests.chains.spl import Ledger
from tests.integration.policy_live import OLD, Portal, portal
from tests.integration.staff_helpers import EPOCH, random_solana_address, seed_requests
from tests.integration.test_releases import (
    approve_all,
    evm_snapshot,
    holder_page,
    holder_view,
    operator_env,
    run,
    sign,
)

__all__ = ["operator_env", "portal"]  # the fixtures
PROGRAM = random_solana_address()
DISTRIBUTOR = random_solana_address()


P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P


def on_curve(point: bytes) -> bool:
    """curve25519-dalek's ``CompressedEdwardsY::decompress`` succeeds: (y² - 1) / (d·y² + 1) is a square."""
    y = int.from_bytes(point, "little") & (2**255 - 1)
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    ratio = u * pow(v, -1, P) % P
    return ratio == 0 or pow(ratio, (P - 1) // 2, P) == 1


def pda(seeds: list[bytes], program: bytes) -> bytes:
    """``find_program_address`` from its definition."""
    for bump in range(255, -1, -1):
        candidate = hashlib.sha256(b"".join(seeds) + bytes([bump]) + program + b"ProgramDerivedAddress").digest()
        if not on_curve(candidate):
            return candidate
    raise AssertionError("no bump")


class ClaimsFront(SolanaFront):
    """The ledger's front, with ``getMultipleAccounts`` (at most 100 keys, as a validator allows)."""

    def _getMultipleAccounts(self, addresses: list[str], config: dict[str, Any] | None = None) -> Any:
        assert len(addresses) <= 100
        accounts = [self.ledger.svm.get_account(Pubkey.from_string(a)) for a in addresses]
        return self._context(config or {}, [None if a is None else self._account(a) for a in accounts])


def place_claim_status(ledger: Ledger, claimant: str, *, owner: str = PROGRAM) -> None:
    address = pda([b"ClaimStatus", parse_address(claimant).raw, parse_address(DISTRIBUTOR).raw],
                  parse_address(PROGRAM).raw)
    data = hashlib.sha256(b"account:ClaimStatus").digest()[:8] + bytes(192)  # Anchor's discriminator, then fields
    ledger.svm.set_account(Pubkey(address), Account(lamports=2_000_000, data=data, owner=Pubkey.from_string(owner),
                                                    executable=False, rent_epoch=0))


def sync(portal: Portal, front: ClaimsFront) -> claim_sync.SyncReport:
    async def one_pass() -> claim_sync.SyncReport:
        db = await Database.open(portal.database_url, size=1)
        reader = SolanaClaimReader(front.url, timeout_seconds=5)
        try:
            ctx = UseCaseContext(db, SnapshotSet.open([], {}), Settings(database_url=portal.database_url))
            return await claim_sync.sync_solana(ctx, reader)
        finally:
            reader.close()
            await db.close()

    return asyncio.run(one_pass())


def test_the_portal_reads_claim_status_accounts(portal: Portal, operator_env: None, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    snapshot_id = evm_snapshot(portal)
    holders = [seed_requests(portal.database_url, 1, snapshot_id=snapshot_id, chain="evm",
                             destination=random_solana_address(), start=EPOCH.replace(month=month))[0]
               for month in (1, 2, 3)]
    assert approve_all(portal) == 3
    doc = tmp_path / "release-solana-1.md"
    code, _, err = run(capsys, "release", "prepare", "--destination-chain", "solana", "--out", str(doc))
    assert code == 0, err
    assert run(capsys, "release", "distributor", str(doc), DISTRIBUTOR, "--program", PROGRAM)[0] == 0
    sign(doc, *OLD)
    assert run(capsys, "release", "publish", str(doc), "--url", portal.base)[0] == 0
    assert httpx.get(portal.base + "/v1/releases").json()[0]["program"] == PROGRAM

    ledger = Ledger()
    place_claim_status(ledger, holders[0].destination)
    place_claim_status(ledger, holders[1].destination, owner=random_solana_address())  # not the program's
    with ClaimsFront(ledger) as front:
        report = sync(portal, front)
        assert (report.releases, report.claims, report.rpc_calls, report.stale) == (1, 1, 1, False)
        assert front.calls == {"getMultipleAccounts": 1}
        views = [holder_view(portal, holder)["release"] for holder in holders]
        assert views[0]["claimed_at"] is not None and views[0]["claim_tx"] is None
        assert [v["claimed_at"] for v in views[1:]] == [None, None]
        assert "Claimed: the distributor holds your claim" in holder_page(portal, holders[0])
        assert f"new_claim on program {PROGRAM}, distributor {DISTRIBUTOR}" in holder_page(portal, holders[2])
        place_claim_status(ledger, holders[2].destination)
        assert sync(portal, front).claims == 1  # only the two not yet seen are asked for
        assert holder_view(portal, holders[2])["release"]["claimed_at"] is not None


def test_a_release_of_250_entries_takes_three_calls() -> None:
    ledger = Ledger()
    claimants = [b58encode(bytes([i % 256, i // 256]) * 16) for i in range(250)]
    for claimant in claimants[::7]:
        place_claim_status(ledger, claimant)
    addresses = [claim_status_address(PROGRAM, DISTRIBUTOR, claimant) for claimant in claimants]
    assert addresses == [b58encode(pda([b"ClaimStatus", parse_address(claimant).raw, parse_address(DISTRIBUTOR).raw],
                                       parse_address(PROGRAM).raw)) for claimant in claimants]
    with ClaimsFront(ledger) as front:
        reader = SolanaClaimReader(front.url, timeout_seconds=5)
        found, slot = reader.claimed(PROGRAM, addresses)
        reader.close()
    assert reader.calls == 3 and front.calls == {"getMultipleAccounts": 3}
    assert [i for i, hit in enumerate(found) if hit] == list(range(0, 250, 7))
    assert slot == ledger.slot  # the slot the answers were read at
