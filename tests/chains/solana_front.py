"""The JSON-RPC front of a LiteSVM ledger: what a Solana validator's RPC port answers, from LiteSVM's state.

Stands in for a Solana RPC node (LiteSVM is a bank without an RPC service). It answers the calls the
snapshot builder and the ``solana_onchain`` verifier make, with the shapes the real node gives:
``getGenesisHash``, ``getSlot``, ``getAccountInfo`` and ``getProgramAccounts`` (base64, ``withContext``,
``minContextSlot``, ``dataSize``/``memcmp`` filters) from the accounts LiteSVM holds, and
``getTokenAccountsByOwner`` (``mint`` or ``programId`` filter, base64) from the token accounts it holds,
``getTransaction`` (base64, ``maxSupportedTransactionVersion``, ``meta.pre/postTokenBalances``),
``getSignatureStatuses`` and ``getSignaturesForAddress`` (newest first, ``before``/``until``/``limit``
up to 1,000, at the executed slots) from the transactions the ``Ledger`` ran (LiteSVM keeps their
metadata, the ``Ledger`` keeps the wire bytes, the token balances around each and each account's history).
``finalized_lag`` slots make recent transactions "confirmed" but not yet "finalized"; ``first_slot``
makes a node whose history was pruned (it keeps no transaction of an earlier slot, as most RPC nodes do).
``injected`` holds ``getTransaction`` answers for transactions of programs LiteSVM cannot load here (say so where used).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import base58
from solders.pubkey import Pubkey

from tests.chains.jsonrpc_server import JsonRpcServer, RpcFault
from tests.chains.spl import TOKEN, TOKEN_2022, Ledger, token_account_state

MAX_SIGNATURES = 1000  # getSignaturesForAddress's largest page
LITESVM_GENESIS = base58.b58encode(hashlib.sha256(b"litesvm test cluster").digest()).decode()


class SolanaFront(JsonRpcServer):
    def __init__(self, ledger: Ledger, *, genesis_hash: str = LITESVM_GENESIS) -> None:
        super().__init__(self._dispatch)
        self.ledger = ledger
        self.genesis_hash = genesis_hash
        self.finalized_lag = 0
        self.first_slot = 0
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
        if executed is None or executed.slot < self.first_slot or (config.get("commitment") == "finalized"
                                                                   and executed.slot > self.finalized_slot):
            return None
        inner = [{"index": index, "instructions": [
            {"programIdIndex": step.instruction.program_id_index, "accounts": list(step.instruction.accounts),
             "data": base58.b58encode(bytes(step.instruction.data)).decode(), "stackHeight": step.stack_height}
            for step in steps]} for index, steps in enumerate(executed.inner_instructions) if steps]
        return {"slot": executed.slot, "blockTime": executed.block_time, "version": "legacy",
                "transaction": [base64.b64encode(executed.wire).decode(), "base64"],
                "meta": {"err": None if executed.err is None else {"InstructionError": executed.err}, "fee": 5000,
                         "innerInstructions": inner, "logMessages": executed.logs,
                         "preTokenBalances": executed.pre_token_balances,
                         "postTokenBalances": executed.post_token_balances,
                         "loadedAddresses": {"writable": [], "readonly": []}}}

    def _getSignaturesForAddress(self, address: str, config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        config = config or {}
        limit = config.get("limit", MAX_SIGNATURES)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_SIGNATURES:
            raise RpcFault(-32602, f"Invalid limit; max {MAX_SIGNATURES}")
        newest_first = [s for s in self.ledger.history.get(address, [])[::-1]
                        if self.ledger.executed[s].slot >= self.first_slot]
        if config.get("commitment", "finalized") == "finalized":
            newest_first = [s for s in newest_first if self.ledger.executed[s].slot <= self.finalized_slot]
        before = config.get("before")
        if before is not None and before not in newest_first:
            return []  # this front keeps no other history to place an unknown signature in
        start = 0 if before is None else newest_first.index(before) + 1
        stop = newest_first.index(config["until"]) if config.get("until") in newest_first else len(newest_first)
        found = []
        for signature in newest_first[start:stop][:limit]:
            executed = self.ledger.executed[signature]
            found.append({"signature": signature, "slot": executed.slot, "blockTime": executed.block_time,
                          "err": None if executed.err is None else {"InstructionError": executed.err}, "memo": None,
                          "confirmationStatus": "finalized" if executed.slot <= self.finalized_slot else "confirmed"})
        return found

    def _getTokenAccountsByOwner(self, owner: str, by: dict[str, str], config: dict[str, Any] | None = None) -> Any:
        config = config or {}
        if config.get("encoding", "binary") != "base64":
            raise RpcFault(-32602, "this front answers getTokenAccountsByOwner in base64 only")
        if "mint" in by:
            mint = self.ledger.svm.get_account(Pubkey.from_string(by["mint"]))
            if mint is None:
                raise RpcFault(-32602, "Invalid param: could not find mint")
            programs = [mint.owner]
        else:
            programs = [program for program in (TOKEN, TOKEN_2022) if str(program) == by.get("programId")]
            if not programs:
                raise RpcFault(-32602, "Invalid param: unrecognized Token program id")
        found = []
        for program in programs:
            for address, account in self.ledger.svm.get_program_accounts(program):
                state = token_account_state(program, bytes(account.data))
                if state is not None and str(state[1]) == owner and str(state[0]) == by.get("mint", str(state[0])):
                    found.append({"pubkey": str(address), "account": self._account(account)})
        return self._context(config, found)

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
