"""The JSON-RPC front of an in-process EVM (eth-tester + py-evm behind web3's ``EthereumTesterProvider``).

Stands in for an archive node's HTTP endpoint (the five methods the snapshot builder uses:
``eth_chainId``, ``eth_blockNumber``, ``eth_getCode``, ``eth_getLogs``, ``eth_call`` at a block), answering
from the tester chain's real state and logs. Modes: ``max_logs`` answers ``eth_getLogs`` over more
logs than that with the error Infura and geth send ("query returned more than N results", -32005),
``no_history`` answers historical ``eth_call`` like a pruned node, ``lie`` adds to the ``balanceOf`` of
one address (a node or token whose state disagrees with its logs).
"""

from __future__ import annotations

from typing import Any

from eth_tester import EthereumTester

from tests.chains.jsonrpc_server import JsonRpcServer, RpcFault


class EvmFront(JsonRpcServer):
    def __init__(self, tester: EthereumTester, chain_id: int) -> None:
        super().__init__(self._dispatch)
        self.tester = tester
        self.chain_id = chain_id
        self.max_logs: int | None = None
        self.no_history = False
        self.lie: tuple[str, int] | None = None
        self.calls: dict[str, int] = {}

    def _block(self, tag: str) -> int | str:
        return tag if tag in ("latest", "earliest", "pending") else int(tag, 16)

    def _dispatch(self, method: str, params: list[Any]) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "eth_blockNumber":
            return hex(self.tester.get_block_by_number("latest")["number"])
        if method == "eth_getBlockByNumber":
            block = self.tester.get_block_by_number(self._block(params[0]))
            return {"number": hex(block["number"]), "timestamp": hex(block["timestamp"])}
        if method == "eth_getCode":
            return self.tester.get_code(params[0], self._block(params[1]))
        if method == "eth_getLogs":
            return self._logs(params[0])
        if method == "eth_call":
            return self._call(params[0], params[1])
        raise RpcFault(-32601, f"the method {method} does not exist/is not available")

    def _logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        logs = [log for log in self.tester.get_logs(from_block=first, to_block=last, address=query["address"])
                if log["topics"] and log["topics"][0] in query.get("topics", [None])[:1]]
        if self.max_logs is not None and len(logs) > self.max_logs:
            raise RpcFault(-32005, f"query returned more than {self.max_logs} results")
        return [{"address": log["address"], "topics": list(log["topics"]), "data": log["data"],
                 "blockNumber": hex(log["block_number"]), "transactionHash": log["transaction_hash"],
                 "logIndex": hex(log["log_index"]), "removed": False} for log in logs]

    def _call(self, call: dict[str, Any], block: str) -> str:
        number = self._block(block)
        head = self.tester.get_block_by_number("latest")["number"]
        if self.no_history and number != "latest" and number != head:
            raise RpcFault(-32000, f"missing trie node {'ab' * 32} (path ) state is not available")
        caller = self.tester.get_accounts()[0]  # a funded account: eth-tester checks the caller can pay for gas
        result = self.tester.call({"from": caller, "to": call["to"], "data": call["data"], "gas": 100_000}, number)
        if self.lie is not None and call["data"].endswith(self.lie[0][2:].lower()):
            result = hex(int(result, 16) + self.lie[1])
            result = "0x" + result[2:].rjust(64, "0")
        return result
