"""The JSON-RPC front of a LiteSVM ledger: what a Solana validator's RPC port answers, from LiteSVM's state.

Stands in for a Solana RPC node (LiteSVM is a bank without an RPC service). It answers the calls the
snapshot builder and the ``solana_onchain`` verifier make, with the shapes the real node gives:
``getGenesisHash``, ``getSlot``, ``getAccountInfo`` and ``getProgramAccounts`` (base64, ``withContext``,
``minContextSlot``, ``dataSize``/``memcmp`` filters) from the accounts LiteSVM holds, and
``getTransaction`` (base64, ``maxSupportedTransactionVersion``) and ``getSignatureStatuses`` from the
transactions the ``Ledger`` ran (LiteSVM keeps their metadata, the front keeps the wire bytes).
``finalized_lag`` slots make recent transactions "confirmed" but not yet "finalized". ``injected``
holds ``getTransaction`` answers for transactions of programs LiteSVM cannot load here (say so where used).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import base58
from solders.pubkey import Pubkey

from tests.chains.jsonrpc_server import JsonRpcServer, RpcFault
from tests.chains.spl import Ledger

LITESVM_GENESIS = base58.b58encode(hashlib.sha256(b"litesvm test cluster").digest()).decode()


class SolanaFront(JsonRpcServer):
    def __init__(self, ledger: Ledger, *, genesis_hash: str = LITESVM_GENESIS) -> None:
        super().__init__(self._dispatch)
        self.ledger = ledger
        self.genesis_hash = genesis_hash
        self.finalized_lag = 0
        self.injected: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, int] = {}

    @property
    def finalized_slot(self) -> int:
        return self.ledger.slot - self.finalized_lag

    def _dispatch(self, method: str, params: list[Any]) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        handler = getattr(self, "_" + method, None)
        if handler is None:
            raise RpcFault(-32601, "Method not found")
        return handler(*params)

    def _context(self, config: dict[str, Any], value: Any) -> dict[str, Any]:
        slot = self.finalized_slot if config.get("commitment", "finalized") == "finalized" else self.ledger.slot
        if config.get("minContextSlot", 0) > slot:
            raise RpcFault(-32016, "Minimum context slot has not been reached")
        return {"context": {"apiVersion": "2.2.0", "slot": slot}, "value": value}

    def _getGenesisHash(self) -> str:
        return self.genesis_hash

    def _getSlot(self, config: dict[str, Any] | None = None) -> int:
        return self._context(config or {}, None)["context"]["slot"]

    @staticmethod
    def _account(account: Any) -> dict[str, Any]:
        data = bytes(account.data)
        return {"data": [base64.b64encode(data).decode(), "base64"], "executable": account.executable,
                "lamports": account.lamports, "owner": str(account.owner), "rentEpoch": 0, "space": len(data)}

    def _getAccountInfo(self, address: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
        account = self.ledger.svm.get_account(Pubkey.from_string(address))
        return self._context(config or {}, None if account is None else self._account(account))

    def _getProgramAccounts(self, program: str, config: dict[str, Any] | None = None) -> Any:
        config = config or {}
        tests = []
        for spec in config.get("filters", []):
            if "dataSize" in spec:
                tests.append(lambda data, size=spec["dataSize"]: len(data) == size)
            else:
                memcmp = spec["memcmp"]
                wanted = base58.b58decode(memcmp["bytes"])
                tests.append(lambda data, at=memcmp["offset"], wanted=wanted: data[at: at + len(wanted)] == wanted)
        found = [{"pubkey": str(address), "account": self._account(account)}
                 for address, account in self.ledger.svm.get_program_accounts(Pubkey.from_string(program))
                 if all(test(bytes(account.data)) for test in tests)]
        return self._context(config, found) if config.get("withContext") else found

    def _getTransaction(self, signature: str, config: dict[str, Any] | None = None) -> dict[str, Any] | None:
        config = config or {}
        if signature in self.injected:
            return self.injected[signature]
        executed = self.ledger.executed.get(signature)
        if executed is None or (config.get("commitment") == "finalized" and executed.slot > self.finalized_slot):
            return None
        inner = [{"index": index, "instructions": [
            {"programIdIndex": step.instruction.program_id_index, "accounts": list(step.instruction.accounts),
             "data": base58.b58encode(bytes(step.instruction.data)).decode(), "stackHeight": step.stack_height}
            for step in steps]} for index, steps in enumerate(executed.inner_instructions) if steps]
        return {"slot": executed.slot, "blockTime": executed.block_time, "version": "legacy",
                "transaction": [base64.b64encode(executed.wire).decode(), "base64"],
                "meta": {"err": None if executed.err is None else {"InstructionError": executed.err}, "fee": 5000,
                         "innerInstructions": inner, "logMessages": executed.logs,
                         "loadedAddresses": {"writable": [], "readonly": []}}}

    def _getSignatureStatuses(self, signatures: list[str], config: dict[str, Any] | None = None) -> dict[str, Any]:
        statuses = []
        for signature in signatures:
            executed = self.ledger.executed.get(signature)
            if executed is None:
                statuses.append(None)
                continue
            final = executed.slot <= self.finalized_slot
            statuses.append({"slot": executed.slot, "confirmations": None if final else 1, "err": None,
                             "confirmationStatus": "finalized" if final else "confirmed"})
        return self._context({"commitment": "processed"}, statuses)
