"""What the service asks an EVM node, as a Protocol, and the web3 implementation.

Invariants: every call of ``Web3Chain`` is timed (``on_call(method, seconds)`` is called once per
RPC method, success or not, so the service can feed its RPC latency histogram) and, over HTTP,
bounded by ``timeout_seconds`` with no hidden retries; any failure to reach the node, or a node
answering with an error, becomes ``RpcUnavailableError`` (503), never a 500. A contract that reverts
or answers garbage to ``isValidSignature`` is not an outage: it simply did not accept the signature
(``b""``). Unknown transactions are ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from web3 import Web3
from web3.exceptions import BadFunctionCallOutput, ContractLogicError, TransactionNotFound
from web3.providers.base import BaseProvider

from portal.errors import RpcUnavailableError, RpcWrongChainError

OnCall = Callable[[str, float], None]
T = TypeVar("T")


class EvmChain(Protocol):
    """The few EVM node reads the ``eip1271`` and ``transaction`` verifiers need."""

    def call_is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bytes:
        """What ``contract.isValidSignature(digest, signature)`` returns (4 bytes), or ``b""`` if it reverts."""
        ...

    def get_code(self, address: str) -> bytes: ...

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None: ...

    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None: ...

    def block_number(self) -> int: ...

    def chain_id(self) -> int:
        """``eth_chainId``: the chain the node answers for."""
        ...

    # -- reads of the contract-wallet methods (``eip6492``, ``safe``) ------------------------------------
    def call(self, to: str | None, data: bytes, block: int | None = None) -> bytes | None:
        """``eth_call`` (``to`` ``None``: deployless, ``data`` is init code) at ``block`` (latest when ``None``);
        ``None`` when the call reverts."""
        ...

    def balance_of(self, token: str, holder: str, block: int) -> int:
        """ERC-20 ``balanceOf(holder)`` at ``block`` (needs a node that serves that block's state)."""
        ...


def require_chain(node: EvmChain | None) -> EvmChain:
    """The node a verifier needs, after it has checked its input: no RPC configured is a 503."""
    if node is None:
        raise RpcUnavailableError("no EVM RPC is configured on this server (PORTAL_EVM_RPC_URL)")
    return node


def require_chain_id(chain: EvmChain, chain_id: int) -> int:
    """``chain_id``, once the node said it answers for that chain (``eth_chainId``); else 503 ``rpc_wrong_chain``.

    A contract wallet is one account on one chain: the same address elsewhere has other code, other owners or
    none. So a contract-wallet proof is checked only on the chain it is pinned to, and records it."""
    answered = chain.chain_id()
    if answered != chain_id:
        raise RpcWrongChainError(f"the EVM node answers for chain id {answered}, but proofs here are checked on chain "
                                 f"id {chain_id}: a contract wallet on one chain is not the same account on another, "
                                 "so nothing was checked (the operator must point PORTAL_EVM_RPC_URL at a node of "
                                 f"chain {chain_id})", extra={"setting": "PORTAL_EVM_RPC_URL", "chain_id": chain_id,
                                                              "node_chain_id": answered})
    return chain_id


IS_VALID_SIGNATURE_ABI = [{
    "name": "isValidSignature", "type": "function", "stateMutability": "view",
    "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
    "outputs": [{"name": "magicValue", "type": "bytes4"}],
}]


def _ignore(method: str, seconds: float) -> None:
    return None


class Web3Chain:
    """``EvmChain`` over web3.py; build it with ``from_url`` in the service, or around any ``Web3``."""

    def __init__(self, w3: Web3, *, timeout_seconds: float = 5.0, on_call: OnCall | None = None) -> None:
        self.w3 = w3
        self.timeout_seconds = timeout_seconds
        self.on_call = on_call or _ignore

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float, on_call: OnCall | None = None) -> Web3Chain:
        """One HTTP attempt per call, at most ``timeout_seconds`` (web3's retries would multiply it)."""
        provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_seconds},
                                     exception_retry_configuration=None)
        return cls(Web3(provider), timeout_seconds=timeout_seconds, on_call=on_call)

    @classmethod
    def from_provider(cls, provider: BaseProvider, *, timeout_seconds: float = 5.0,
                      on_call: OnCall | None = None) -> Web3Chain:
        """Around an existing provider (tests use ``EthereumTesterProvider``, which has no timeout)."""
        return cls(Web3(provider), timeout_seconds=timeout_seconds, on_call=on_call)

    def _timed(self, method: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        except RpcUnavailableError:
            raise
        except Exception as exc:
            raise RpcUnavailableError(f"the EVM node did not answer {method} ({type(exc).__name__}); "
                                      "try again in a few minutes") from exc
        finally:
            self.on_call(method, time.perf_counter() - started)

    def call_is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bytes:
        wallet = self.w3.eth.contract(address=Web3.to_checksum_address(contract), abi=IS_VALID_SIGNATURE_ABI)

        def ask() -> bytes:
            try:
                return bytes(wallet.functions.isValidSignature(digest, signature).call())
            except (ContractLogicError, BadFunctionCallOutput):
                return b""  # reverted, or not an ERC-1271 wallet: it did not accept the signature

        return self._timed("eth_call", ask)

    def get_code(self, address: str) -> bytes:
        return bytes(self._timed("eth_getCode", lambda: self.w3.eth.get_code(Web3.to_checksum_address(address))))

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        def ask() -> dict[str, Any] | None:
            try:
                return dict(self.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
            except TransactionNotFound:
                return None

        return self._timed("eth_getTransactionByHash", ask)

    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        def ask() -> dict[str, Any] | None:
            try:
                return dict(self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
            except TransactionNotFound:
                return None

        return self._timed("eth_getTransactionReceipt", ask)

    def block_number(self) -> int:
        return int(self._timed("eth_blockNumber", lambda: self.w3.eth.block_number))

    def chain_id(self) -> int:
        return int(self._timed("eth_chainId", lambda: self.w3.eth.chain_id))

    def call(self, to: str | None, data: bytes, block: int | None = None) -> bytes | None:
        request: dict[str, Any] = {"data": data} if to is None else {"to": Web3.to_checksum_address(to), "data": data}

        def ask() -> bytes | None:
            try:
                return bytes(self.w3.eth.call(request, "latest" if block is None else block))  # type: ignore[arg-type]
            except ContractLogicError:
                return None
            except Exception as exc:  # an in-process node says "execution reverted" without web3's error class
                if str(exc).startswith("execution reverted"):
                    return None
                raise

        return self._timed("eth_call", ask)

    def balance_of(self, token: str, holder: str, block: int) -> int:
        data = "0x70a08231" + "00" * 12 + holder[2:].lower()  # balanceOf(address)
        call = {"to": Web3.to_checksum_address(token), "data": data}
        return int.from_bytes(bytes(self._timed("eth_call", lambda: self.w3.eth.call(call, block_identifier=block))))
