"""What the claim-status sync asks an EVM node: the head, a distributor's ``Claimed`` events, block times.

Why its own reader: these are log-range reads over possibly many blocks, unlike the proof verifiers'
single calls (``portal.domain.proofs.chain``). Every call is bounded by the provider's timeout, tried
twice (a node that drops one request is common and a retry is cheap), and reported to ``on_call``
(the RPC latency histogram) each attempt; a node that is still down raises ``RpcUnavailableError``,
which the sync turns into staleness, never into a wrong answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, TypeVar

import sha3
from web3 import Web3
from web3.providers.base import BaseProvider

from portal.errors import RpcUnavailableError

T = TypeVar("T")
OnCall = Callable[[str, float], None]
#: ``event Claimed(uint256 index, address account, uint256 amount)`` of Uniswap's ``MerkleDistributor``.
CLAIMED_TOPIC = "0x" + sha3.keccak_256(b"Claimed(uint256,address,uint256)").hexdigest()
ATTEMPTS = 2
BLOCK_BATCH = 100
RETRY_DELAY_SECONDS = 0.2


class ClaimEvent(NamedTuple):
    """One ``Claimed`` event: the entry's index, the transaction, its block."""

    index: int
    tx: str
    block: int


class ClaimReader(Protocol):
    calls: int

    def head(self) -> int: ...

    def chain_id(self) -> int: ...

    def claimed(self, distributor: str, from_block: int, to_block: int) -> list[ClaimEvent]: ...

    def block_times(self, blocks: list[int]) -> dict[int, int]: ...


def _ignore(method: str, seconds: float) -> None:
    return None


class Web3ClaimReader:
    """``ClaimReader`` over web3.py; ``calls`` counts RPC requests (the benchmark reports them)."""

    def __init__(self, w3: Web3, *, on_call: OnCall | None = None, retry_delay: float = RETRY_DELAY_SECONDS,
                 batches: bool = False) -> None:
        self.w3 = w3
        self.on_call = on_call or _ignore
        self.retry_delay = retry_delay
        self.batches = batches  # JSON-RPC batches: an HTTP node takes them, the in-process tester does not
        self.calls = 0

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float, on_call: OnCall | None = None) -> Web3ClaimReader:
        provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_seconds},
                                     exception_retry_configuration=None)
        return cls(Web3(provider), on_call=on_call, batches=True)

    @classmethod
    def from_provider(cls, provider: BaseProvider, **kwargs: object) -> Web3ClaimReader:
        return cls(Web3(provider), **kwargs)  # type: ignore[arg-type]

    def _call(self, method: str, call: Callable[[], T]) -> T:
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            self.calls += 1
            try:
                return call()
            except Exception as exc:
                if attempt + 1 == ATTEMPTS:
                    raise RpcUnavailableError(f"the EVM node did not answer {method} ({type(exc).__name__})") from exc
                time.sleep(self.retry_delay)
            finally:
                self.on_call(method, time.perf_counter() - started)
        raise AssertionError("unreachable")

    def head(self) -> int:
        return int(self._call("eth_blockNumber", lambda: self.w3.eth.block_number))

    def chain_id(self) -> int:
        """``eth_chainId``: a node of another chain has no ``Claimed`` events at the distributors' addresses,
        which would read as "nothing claimed" (``claim_sync.sync_evm`` asks first)."""
        return int(self._call("eth_chainId", lambda: self.w3.eth.chain_id))

    def _raw(self, method: str, params: list) -> Any:
        """One JSON-RPC call without web3's result formatting (a third of the cost for 10,000 logs)."""
        answer = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def claimed(self, distributor: str, from_block: int, to_block: int) -> list[ClaimEvent]:
        query = {"address": Web3.to_checksum_address(distributor), "topics": [CLAIMED_TOPIC],
                 "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if self.batches:  # over HTTP: raw JSON, hex strings parsed here
            logs = self._call("eth_getLogs", lambda: self._raw("eth_getLogs", [query]))
            return [ClaimEvent(int(log["data"][2:66], 16), log["transactionHash"], int(log["blockNumber"], 16))
                    for log in logs]
        logs = self._call("eth_getLogs", lambda: self.w3.eth.get_logs({
            "address": query["address"], "topics": [CLAIMED_TOPIC], "fromBlock": from_block, "toBlock": to_block}))
        events = []
        for log in logs:
            data = bytes(log["data"])
            events.append(ClaimEvent(int.from_bytes(data[:32]), "0x" + bytes(log["transactionHash"]).hex(),
                                     int(log["blockNumber"])))
        return events

    def block_times(self, blocks: list[int]) -> dict[int, int]:
        """Each block's timestamp: ``BLOCK_BATCH`` blocks per request when the node takes batches
        (100,000 claims in as many blocks are then 1,000 requests, not 100,000)."""
        times: dict[int, int] = {}
        if not self.batches:
            for block in blocks:
                times[block] = int(self._call("eth_getBlockByNumber",
                                              lambda b=block: self.w3.eth.get_block(b)["timestamp"]))
            return times
        for start in range(0, len(blocks), BLOCK_BATCH):
            chunk = blocks[start:start + BLOCK_BATCH]

            def ask(chunk: list[int] = chunk) -> list:
                answers = self.w3.provider.make_batch_request(  # type: ignore[attr-defined]
                    [("eth_getBlockByNumber", [hex(block), False]) for block in chunk])
                if not isinstance(answers, list) or any("error" in answer for answer in answers):
                    raise RuntimeError(f"eth_getBlockByNumber batch: {answers}")
                return sorted(answers, key=lambda answer: answer["id"])  # answers may come in any order

            for block, answer in zip(chunk, self._call("eth_getBlockByNumber", ask), strict=True):
                times[block] = int(answer["result"]["timestamp"], 16)
        return times
