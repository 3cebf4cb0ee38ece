"""``Web3Chain``: every call timed through ``on_call``; an unreachable node is a quick 503."""

from __future__ import annotations

import time

import pytest

from portal.domain.proofs.chain import Web3Chain, require_chain
from portal.errors import RpcUnavailableError


def test_calls_are_timed_through_the_hook(w3) -> None:
    calls: list[tuple[str, float]] = []
    chain = Web3Chain(w3, on_call=lambda method, seconds: calls.append((method, seconds)))
    chain.block_number()
    assert chain.get_code(w3.eth.accounts[0]) == b""
    assert chain.get_transaction("0x" + "ab" * 32) is None
    assert chain.get_receipt("0x" + "ab" * 32) is None
    assert [m for m, _ in calls] == ["eth_blockNumber", "eth_getCode", "eth_getTransactionByHash",
                                     "eth_getTransactionReceipt"]
    assert all(0 <= seconds < 5 for _, seconds in calls)


def test_from_provider(w3) -> None:
    from web3 import EthereumTesterProvider

    assert Web3Chain.from_provider(EthereumTesterProvider()).block_number() == 0


def test_unreachable_node_is_503_within_the_timeout_and_still_timed() -> None:
    calls: list[str] = []
    chain = Web3Chain.from_url("http://127.0.0.1:9", timeout_seconds=0.5, on_call=lambda m, s: calls.append(m))
    started = time.perf_counter()
    for call in (chain.block_number, lambda: chain.get_code("0x" + "11" * 20),
                 lambda: chain.get_transaction("0x" + "ab" * 32),
                 lambda: chain.call_is_valid_signature("0x" + "11" * 20, bytes(32), b"")):
        with pytest.raises(RpcUnavailableError, match="did not answer"):
            call()
    assert time.perf_counter() - started < 4  # no hidden retries with back-off
    assert calls == ["eth_blockNumber", "eth_getCode", "eth_getTransactionByHash", "eth_call"]


def test_no_chain_configured_is_503() -> None:
    with pytest.raises(RpcUnavailableError, match="PORTAL_EVM_RPC_URL"):
        require_chain(None)
