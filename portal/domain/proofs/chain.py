"""What the service asks an EVM node, as a Protocol, and the web3 implementation.

Every call is timed (``on_call(method, seconds)`` feeds the RPC latency histogram) and bounded by
a timeout; any failure to reach the node becomes ``RpcUnavailableError`` (503), never a 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from web3 import Web3
from web3.exceptions import TransactionNotFound

from portal.errors import RpcUnavailableError

OnCall = Callable[[str, float], None]


class EvmChain(Protocol):
    def call_is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bytes: ...
    def get_code(self, address: str) -> bytes: ...
    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None: ...
    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None: ...
    def block_number(self) -> int: ...


IS_VALID_SIGNATURE_ABI = [{
    "name": "isValidSignature", "type": "function", "stateMutability": "view",
    "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
    "outputs": [{"name": "magicValue", "type": "bytes4"}],
}]


class Web3Chain:
    def __init__(self, w3: Web3, *, timeout_seconds: float = 5.0, on_call: OnCall | None = None) -> None:
        self.w3 = w3
        self.timeout_seconds = timeout_seconds
        self.on_call = on_call or (lambda method, seconds: None)

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float, on_call: OnCall | None = None) -> Web3Chain:
        provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_seconds})
        return cls(Web3(provider), timeout_seconds=timeout_seconds, on_call=on_call)

    def _timed(self, method: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        except TransactionNotFound:
            return None
        except Exception as exc:
            raise RpcUnavailableError(f"the EVM node did not answer {method}: {type(exc).__name__}") from exc
        finally:
            self.on_call(method, time.perf_counter() - started)

    def call_is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bytes:
        wallet = self.w3.eth.contract(address=Web3.to_checksum_address(contract), abi=IS_VALID_SIGNATURE_ABI)
        try:
            return bytes(self._timed("eth_call", lambda: wallet.functions.isValidSignature(digest, signature).call()))
        except RpcUnavailableError as exc:
            if "ContractLogicError" in str(exc) or "BadFunctionCallOutput" in str(exc):
                return b""  # the contract reverted or is not a wallet: no valid signature
            raise

    def get_code(self, address: str) -> bytes:
        return bytes(self._timed("eth_getCode", lambda: self.w3.eth.get_code(Web3.to_checksum_address(address))))

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        found = self._timed("eth_getTransactionByHash", lambda: self.w3.eth.get_transaction(tx_hash))
        return dict(found) if found else None

    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        found = self._timed("eth_getTransactionReceipt", lambda: self.w3.eth.get_transaction_receipt(tx_hash))
        return dict(found) if found else None

    def block_number(self) -> int:
        return int(self._timed("eth_blockNumber", lambda: self.w3.eth.block_number))
