"""Evidence read from the chain for staff, beside a case: what the snapshot should have seen.

For an EVM case whose snapshot was rebuilt from the chain (its ``source`` names the token and the
block), with ``PORTAL_EVM_RPC_URL``: ``balanceOf(address)`` at the snapshot block, and each
transaction hash the holder gave decoded from its receipt (the token's ``Transfer`` events that
touch the address, each before or after the snapshot block). Every difference from the snapshot is
one sentence; whatever could not be checked (no node, no history, a snapshot built from a list) is
said too. A Solana case is read by ``case_evidence_solana`` (token accounts rebuilt at the slot).
Each RPC call has the node's timeout and a latency metric (``Web3Chain._timed``); the calls run off
the event loop, outside any transaction.
"""

from __future__ import annotations

import asyncio

from portal.domain.case_evidence_solana import chain_evidence_solana
from portal.domain.cases_staff import CaseDetail, ChainEvidence, TransferSeen
from portal.domain.context import UseCaseContext
from portal.domain.proofs.chain import EvmChain
from portal.errors import RpcUnavailableError

TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"  # Transfer(address,address,uint256)


def _hex(value: object) -> str:
    return value.hex() if isinstance(value, bytes | bytearray) else str(value)


def _topic_address(topic: object) -> str:
    return "0x" + _hex(topic).removeprefix("0x")[-40:]


def _transfers(node: EvmChain, token: str, address: str, tx_hash: str, block: int) -> list[TransferSeen] | str:
    receipt = node.get_receipt(tx_hash)
    if receipt is None:
        return f"Transaction {tx_hash} is not on the chain the node serves."
    seen = []
    for log in receipt.get("logs") or []:
        topics = [_hex(t).removeprefix("0x") for t in log.get("topics") or []]
        if str(log.get("address", "")).lower() != token.lower() or len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
            continue
        sender, recipient = _topic_address(topics[1]), _topic_address(topics[2])
        if address.lower() not in (sender.lower(), recipient.lower()):
            continue
        amount = int(_hex(log.get("data") or "0x0").removeprefix("0x") or "0", 16)
        mined = int(receipt.get("blockNumber") or 0)
        seen.append(TransferSeen(tx_hash, mined, sender, recipient, str(amount), mined <= block))
    return seen or f"Transaction {tx_hash} moved none of the snapshot's token to or from {address}."


def _read_evm(node: EvmChain, detail: CaseDetail, token: str, block: int) -> ChainEvidence:
    differences, not_checked, transfers = [], [], []
    listed = int(detail.snapshot_amount) if detail.snapshot_amount is not None else 0
    balance: int | None = None
    try:
        balance = node.balance_of(token, detail.address, block)
    except RpcUnavailableError as exc:
        not_checked.append(f"balanceOf at block {block}: {exc.detail} (the node may not serve that block's state).")
    if balance is not None and balance != listed:
        differences.append(f"At the snapshot block {block} the address held {balance} base units by balanceOf; the "
                           f"snapshot lists {listed if detail.snapshot_amount is not None else 'nothing'}.")
    for tx_hash in (detail.evidence.get("transactions") or []):
        if not tx_hash.startswith("0x"):
            continue
        try:
            found = _transfers(node, token, detail.address, tx_hash, block)
        except RpcUnavailableError as exc:
            not_checked.append(f"Transaction {tx_hash}: {exc.detail}.")
            continue
        if isinstance(found, str):
            differences.append(found)
            continue
        transfers += found
        for seen in found:
            way = "to" if seen.recipient.lower() == detail.address.lower() else "from"
            when = "before" if seen.before_snapshot else "after"
            differences.append(f"Transaction {tx_hash} moved {seen.amount} base units {way} the address in block "
                               f"{seen.block}, {when} the snapshot block {block}.")
    return ChainEvidence(block, None if balance is None else str(balance), transfers, differences, not_checked)


async def chain_evidence(ctx: UseCaseContext, detail: CaseDetail) -> ChainEvidence:
    """What the chain says about the case's address at the snapshot (see the module docstring)."""
    manifest = next((m for m in ctx.snapshots.manifests if m.id == detail.snapshot_id), None)
    source = (manifest.source if manifest else None) or {}
    if detail.chain == "solana":
        return await chain_evidence_solana(ctx.solana_node, detail, source)
    block = source.get("block")
    if not source.get("token") or block is None:
        return ChainEvidence(block, None, [], [], ["The snapshot was built from a holder list, not from the chain: "
                                                   "it names no token contract and block to read balanceOf at."])
    if ctx.evm_node is None:
        return ChainEvidence(block, None, [], [], ["No EVM node is configured (PORTAL_EVM_RPC_URL): neither the "
                                                   "balance at the snapshot block nor the transactions were read."])
    return await asyncio.to_thread(_read_evm, ctx.evm_node, detail, source["token"], int(block))
