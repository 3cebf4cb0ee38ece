"""The running portal reads claim status by itself: ``PORTAL_EVM_RPC_URL`` pointing at the JSON-RPC
front of an in-process chain (``tests/chains/evm_front.py``) with Uniswap's ``MerkleDistributor``
deployed on it, and ``PORTAL_CLAIM_SYNC_SECONDS=1``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from portal.settings import Settings
from tests.chains.evm_front import EvmFront
from tests.integration.policy_live import Portal, portal
from tests.integration.staff_helpers import seed_requests
from tests.integration.test_release_chain import Chain, _release
from tests.integration.test_releases import (
    approve_all,
    evm_snapshot,
    holder_page,
    holder_view,
    operator_env,
)

__all__ = ["operator_env", "portal"]  # the fixtures


class ClaimFront(EvmFront):
    """The tester chain's JSON-RPC front, with the block reads the claim-status sync makes."""

    def _dispatch(self, method: str, params: list) -> object:
        if method == "eth_getBlockByNumber":
            block = self.tester.get_block_by_number(int(params[0], 16))
            return {"number": hex(block["number"]), "timestamp": hex(block["timestamp"]),
                    "hash": block["hash"], "transactions": []}
        return super()._dispatch(method, params)


@pytest.fixture
def front() -> Iterator[tuple[Chain, ClaimFront]]:
    chain = Chain()
    with ClaimFront(chain.w3.provider.ethereum_tester, chain.w3.eth.chain_id) as served:  # type: ignore[attr-defined]
        yield chain, served


@pytest.fixture
def settings(settings: Settings, front: tuple[Chain, ClaimFront]) -> Settings:
    """The live portal reads claim status from the front every second (PORTAL_CLAIM_SYNC_SECONDS=1)."""
    return msgspec.structs.replace(settings, evm_rpc_url=front[1].url, claim_sync_seconds=1,
                                   evm_chain_id=front[1].chain_id)


def test_the_running_portal_reads_claims_by_itself(front: tuple[Chain, ClaimFront], portal: Portal,
                                                   operator_env: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    chain, served = front
    [holder] = seed_requests(portal.database_url, 1, snapshot_id=evm_snapshot(portal), chain="evm")
    assert approve_all(portal) == 1
    with served.lock:  # the tester chain is not thread-safe; the portal's pass waits for this
        contract, release = _release(portal, chain, tmp_path, capsys, 1)
        tx = chain.claim(contract, release["claims"][0])
    deadline = time.monotonic() + 20
    while (held := holder_view(portal, holder)["release"])["claimed_at"] is None:
        assert time.monotonic() < deadline, "the portal did not read the claim"
        time.sleep(0.2)
    assert held["claim_tx"] == tx and served.calls.get("eth_getLogs", 0) >= 1
    assert "Claimed on " in holder_page(portal, holder)
