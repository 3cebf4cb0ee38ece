"""Evidence read from a real EVM for staff (eth-tester + py-evm behind web3's EthereumTesterProvider): an
ERC-20 moved about before and after the snapshot block, a snapshot rebuilt from its logs, a holder's
case with transaction hashes from both sides, and what the chain says beside it."""

from __future__ import annotations

from pathlib import Path

import msgspec
from eth_account import Account
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.proofs.chain import Web3Chain
from portal.settings import Settings
from snapshot.from_chain import from_evm
from tests.integration.case_helpers import DESTINATION, UNLISTED, bearer, case_challenge, open_case, sign
from tests.integration.staff_helpers import create_key
from tests.unit.from_chain.test_from_chain_evm import Chain, _client


def test_balance_at_the_snapshot_block_and_the_holders_transactions(settings: Settings, database_url: str,
                                                                    tmp_path: Path) -> None:
    chain = Chain()
    with chain.front() as front, _client(front) as client:
        built = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                         csv_path=tmp_path / "holders.csv")
    holder_address = chain.holders[0]  # minted 1,000, sent 300, burnt 200: 500 at the block; +1 after it
    key = chain.w3.provider.ethereum_tester.backend.account_keys[1]
    holder = Account.from_key(key.to_hex() if hasattr(key, "to_hex") else key)
    assert holder.address == holder_address
    transfers = chain.token.events.Transfer().get_logs(from_block=0)
    before = next(e for e in transfers if e.args["from"] == holder_address and e.args["value"] == 300)
    after = next(e for e in transfers if e.args["to"] == holder_address and e.blockNumber > chain.block)
    hashes = ["0x" + event.transactionHash.hex().removeprefix("0x") for event in (before, after)]

    configured = msgspec.structs.replace(settings, snapshots=(built.manifest.path,))
    node = Web3Chain.from_provider(chain.w3.provider)
    with TestClient(app=create_app(configured, evm_chain=node)) as api:
        challenge = case_challenge(api, holder.address)
        opened = api.post("/v1/cases", json={"challenge_id": challenge["challenge_id"], "kind": "amount_wrong",
                                             "text": "I had more.", "signature": sign(holder, challenge["message"]),
                                             "evidence": hashes})
        assert opened.status_code == 201, opened.text
        staff = bearer(create_key(database_url, "rita", "reviewer"))
        detail = api.get(f"/v1/review/cases/{opened.json()['case_id']}", headers=staff).json()
    evidence = detail["chain_evidence"]
    assert (evidence["snapshot_block"], evidence["balance_at_snapshot"]) == (chain.block, "500")
    assert detail["snapshot_amount"] == "500" and evidence["not_checked"] == []
    seen = {(t["amount"], t["before_snapshot"]) for t in evidence["transfers"]}
    assert seen == {("300", True), ("1", False)}
    assert any("moved 300 base units from the address" in s and "before the snapshot block" in s
               for s in evidence["differences"])
    assert any("moved 1 base units to the address" in s and "after the snapshot block" in s
               for s in evidence["differences"])
    assert not any("balanceOf" in s for s in evidence["differences"])  # the snapshot agrees with the chain


def test_without_a_chain_source_or_a_node_the_evidence_says_what_was_not_checked(client: TestClient,
                                                                               database_url: str) -> None:
    case = open_case(client, UNLISTED, "not_in_snapshot").json()
    staff = bearer(create_key(database_url, "rita", "reviewer"))
    evidence = client.get(f"/v1/review/cases/{case['case_id']}", headers=staff).json()["chain_evidence"]
    assert evidence["balance_at_snapshot"] is None and evidence["transfers"] == []
    assert evidence["not_checked"] == ["The snapshot was built from a holder list, not from the chain: it names no "
                                       "token contract and block to read balanceOf at."]
    assert DESTINATION  # the case's destination is the helpers' own
