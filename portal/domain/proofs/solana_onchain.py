"""``solana_onchain``: ownership proven by a transaction executed on chain, for accounts that cannot sign messages.

A Squads multisig vault is a PDA: it has no key, so it can neither sign a message nor a transaction
of its own; it acts only through an executed vault transaction, in which the Squads program signs
for it with ``invoke_signed``. So the challenge asks for a transaction really executed from the
snapshot address whose Memo is exactly the nonce line, and the holder submits its signature
(``tx_hash``, base58). The server reads it from ``PORTAL_SOLANA_RPC_URL`` (``getTransaction`` at
``finalized`` commitment, base64, ``maxSupportedTransactionVersion: 0``) and accepts it when:

- it succeeded (``meta.err`` is null), and the node's transaction carries the submitted signature;
- a Memo instruction's data is exactly the nonce line, and either
  - it is a top-level instruction and the snapshot address signed the transaction, or
  - it is an inner instruction of the Memo v2 program (which fails unless every account passed to it
    signed) that names the snapshot address: a PDA that signed through its program's invocation;
- its block time is not before the challenge was issued (allowing ``CLOCK_SKEW_SECONDS``, since a
  block time is the cluster's estimate). The nonce is random and first shown by the challenge, so a
  transaction carrying it cannot be older anyway; the check guards against a node's wrong answer.

Errors: not base58 of 64 bytes 400 ``malformed_signature``; unknown 422 ``transaction_not_found``;
seen but not finalized 422 ``not_confirmed``; failed 422 ``transaction_failed``; no memo with the
nonce line, or too old 422 ``transaction_mismatch``; not signed by the snapshot address 422
``signature_mismatch`` naming the signers; no node, or a node that fails 503 ``rpc_unavailable``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Protocol

import base58
import msgspec
from solders.transaction import VersionedTransaction

from portal.domain.proofs import squads
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import nonce_line
from portal.domain.proofs.solana_tx import MEMO_PROGRAMS
from portal.errors import (
    MalformedSignatureError,
    RpcNotConfiguredError,
    RpcUnavailableError,
    SignatureMismatchError,
    UnprocessableError,
)
from snapshot.errors import ChainError
from snapshot.from_chain.rpc import JsonRpcClient, OnCall

FIELD = "tx_hash"
MEMO_V2 = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
CLOCK_SKEW_SECONDS = 60
SIGNATURE_BYTES = 64


class SolanaChain(Protocol):
    """The two Solana node reads the ``solana_onchain`` verifier needs."""

    def get_transaction(self, signature: str) -> dict[str, Any] | None:
        """``getTransaction`` at finalized commitment, base64 encoding, or None when the node has none."""
        ...

    def signature_status(self, signature: str) -> dict[str, Any] | None:
        """``getSignatureStatuses`` (searching history) for one signature, or None when unknown."""
        ...

    def get_account(self, address: str) -> dict[str, Any] | None:
        """``getAccountInfo`` at finalized commitment: ``{"owner", "data" (bytes), "slot"}``, or None."""
        ...

    def token_accounts(self, owner: str, mint: str) -> list[str]:
        """``getTokenAccountsByOwner`` with a ``mint`` filter, finalized: the addresses of the owner's accounts."""
        ...

    def signatures_for_address(self, address: str, *, before: str | None, limit: int) -> list[dict[str, Any]]:
        """``getSignaturesForAddress``, finalized, newest first: ``{"signature", "slot", "err"}`` each."""
        ...


def require_solana_chain(node: SolanaChain | None) -> SolanaChain:
    if node is None:
        raise RpcNotConfiguredError("no Solana RPC is configured on this server (PORTAL_SOLANA_RPC_URL); this is "
                                    "how the server is set up, so use another method",
                                    extra={"setting": "PORTAL_SOLANA_RPC_URL"})
    return node


class RpcSolanaChain:
    """``SolanaChain`` over JSON-RPC: one attempt per call, bounded by ``timeout_seconds``, timed by ``on_call``.
    An answer of the wrong shape is ``RpcUnavailableError`` too: the node is not one to rely on."""

    def __init__(self, url: str, *, timeout_seconds: float, on_call: OnCall | None = None) -> None:
        self.client = JsonRpcClient(url, timeout_seconds=timeout_seconds, retries=0, on_call=on_call)

    def _call(self, method: str, params: list[Any]) -> Any:
        try:
            return self.client.call(method, params)
        except ChainError as exc:
            raise RpcUnavailableError(f"the Solana node did not answer {method} ({exc}); "
                                      "try again in a few minutes") from None

    def get_transaction(self, signature: str) -> dict[str, Any] | None:
        answer = self._call("getTransaction", [signature, {"encoding": "base64", "commitment": "finalized",
                                                           "maxSupportedTransactionVersion": 0}])
        if answer is not None and not isinstance(answer, dict):
            raise RpcUnavailableError("the Solana node answered getTransaction with something that is no transaction")
        return answer

    def signature_status(self, signature: str) -> dict[str, Any] | None:
        answer = self._call("getSignatureStatuses", [[signature], {"searchTransactionHistory": True}])
        values = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(values, list) or len(values) != 1:
            raise RpcUnavailableError("the Solana node answered getSignatureStatuses with something unexpected")
        return values[0] if isinstance(values[0], dict) else None

    def get_account(self, address: str) -> dict[str, Any] | None:
        answer = self._call("getAccountInfo", [address, {"encoding": "base64", "commitment": "finalized"}])
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, dict):
            return None
        try:
            data = base64.b64decode(value["data"][0], validate=True)
        except (KeyError, IndexError, TypeError, ValueError, binascii.Error):
            raise RpcUnavailableError("the Solana node answered getAccountInfo with undecodable data") from None
        return {"owner": value.get("owner"), "data": data, "slot": (answer.get("context") or {}).get("slot")}

    def token_accounts(self, owner: str, mint: str) -> list[str]:
        answer = self._call("getTokenAccountsByOwner", [owner, {"mint": mint}, {"encoding": "base64",
                                                                               "commitment": "finalized"}])
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, list) or not all(isinstance(v, dict) and isinstance(v.get("pubkey"), str)
                                                  for v in value):
            raise RpcUnavailableError("the Solana node answered getTokenAccountsByOwner with something unexpected")
        return [v["pubkey"] for v in value]

    def signatures_for_address(self, address: str, *, before: str | None, limit: int) -> list[dict[str, Any]]:
        config: dict[str, Any] = {"limit": limit, "commitment": "finalized", **({"before": before} if before else {})}
        answer = self._call("getSignaturesForAddress", [address, config])
        if not isinstance(answer, list) or not all(isinstance(e, dict) and isinstance(e.get("signature"), str)
                                                   and isinstance(e.get("slot"), int) for e in answer):
            raise RpcUnavailableError("the Solana node answered getSignaturesForAddress with something unexpected")
        return answer


def account_keys_of(answer: dict[str, Any], signature: str) -> list[str]:
    """The account keys of a ``getTransaction`` answer (base64), in the order ``accountIndex`` counts them."""
    meta = answer.get("meta")
    return _account_keys(_transaction(answer, signature), meta if isinstance(meta, dict) else {})


def _signature(text: str) -> str:
    try:
        raw = base58.b58decode(text) if isinstance(text, str) and 80 <= len(text) <= 90 else b""
    except ValueError:
        raw = b""
    if len(raw) != SIGNATURE_BYTES:
        raise MalformedSignatureError("tx_hash must be the transaction signature in base58 (64 bytes)", field=FIELD)
    return base58.b58encode(raw).decode()


def _mismatch(reason: str) -> UnprocessableError:
    return UnprocessableError(reason, field=FIELD, code="transaction_mismatch")


def _transaction(answer: dict[str, Any], signature: str) -> VersionedTransaction:
    encoded = answer.get("transaction")
    try:
        if not (isinstance(encoded, list) and len(encoded) == 2 and encoded[1] == "base64"):
            raise ValueError("not base64")
        tx = VersionedTransaction.from_bytes(base64.b64decode(encoded[0], validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise RpcUnavailableError("the Solana node answered getTransaction with an undecodable transaction") from None
    if not tx.signatures or str(tx.signatures[0]) != signature:
        raise RpcUnavailableError("the Solana node answered getTransaction with another transaction")
    return tx


def _account_keys(tx: VersionedTransaction, meta: dict[str, Any]) -> list[str]:
    """Static keys, then the lookup tables' writable and read-only ones: the order instruction indexes use."""
    loaded = meta.get("loadedAddresses")
    loaded = loaded if isinstance(loaded, dict) else {}
    extra = [key for part in ("writable", "readonly") for key in (loaded.get(part) or [])]
    if not all(isinstance(key, str) for key in extra):
        raise RpcUnavailableError("the Solana node answered getTransaction with malformed loaded addresses")
    return [str(key) for key in tx.message.account_keys] + extra


def _inner_memos(meta: dict[str, Any], keys: list[str]) -> list[tuple[str, list[str], bytes, int | None]]:
    """(memo program, accounts, data, index of the outer instruction) of every inner instruction of a Memo program."""
    found = []
    groups = meta.get("innerInstructions")
    for group in groups if isinstance(groups, list) else []:
        outer = group.get("index") if isinstance(group, dict) else None
        steps = group.get("instructions") if isinstance(group, dict) else None
        for instruction in steps if isinstance(steps, list) else []:
            if not isinstance(instruction, dict) or not isinstance(instruction.get("accounts", []), list):
                continue
            index = instruction.get("programIdIndex")
            if isinstance(index, int) and index < len(keys) and keys[index] in MEMO_PROGRAMS:
                try:
                    data = base58.b58decode(instruction.get("data", ""))
                except ValueError:
                    continue
                accounts = [keys[i] for i in instruction.get("accounts", []) if isinstance(i, int) and i < len(keys)]
                found.append((keys[index], accounts, data, outer if isinstance(outer, int) else None))
    return found


def verify(facts: ChallengeFacts, tx_hash: str, *, node: SolanaChain | None) -> ProvenSigner:
    signature = _signature(tx_hash)
    chain = require_solana_chain(node)
    answer = chain.get_transaction(signature)
    if answer is None:
        status = chain.signature_status(signature)
        if status is not None and status.get("confirmationStatus") != "finalized":
            raise UnprocessableError(f"the transaction is {status.get('confirmationStatus') or 'seen'} but not "
                                     "finalized yet; try again in a minute", field=FIELD, code="not_confirmed")
        raise UnprocessableError("no such finalized transaction on the configured Solana cluster", field=FIELD,
                                 code="transaction_not_found")
    tx = _transaction(answer, signature)
    meta = answer.get("meta") if isinstance(answer.get("meta"), dict) else {}
    if meta.get("err") is not None:
        raise UnprocessableError(f"the transaction failed on chain ({meta['err']}); send a new one", field=FIELD,
                                 code="transaction_failed")
    expected = nonce_line(facts.nonce).encode()
    keys = _account_keys(tx, meta)
    signers = keys[: tx.message.header.num_required_signatures]
    outer = [bytes(ix.data) for ix in tx.message.instructions
             if ix.program_id_index < len(keys) and keys[ix.program_id_index] in MEMO_PROGRAMS]
    inner = [(outer_index, accounts) for program, accounts, data, outer_index in _inner_memos(meta, keys)
             if program == MEMO_V2 and data == expected and facts.snapshot_address in accounts]
    how, vault = None, None
    if expected in outer and facts.snapshot_address in signers:
        how = "signer"
    elif inner:
        how, vault = _through_program(tx, keys, facts.snapshot_address, [index for index, _ in inner], chain)
    if how is None:
        programs = [(keys[ix.program_id_index], bytes(ix.data)) for ix in tx.message.instructions
                    if ix.program_id_index < len(keys)]
        if squads.memo_only_in_create(programs, expected):
            raise _mismatch("the nonce line is only in the memo argument of a Squads vault_transaction_create; any "
                            "member may create a vault transaction without approval, so it proves membership, not "
                            "control: approve and execute a vault transaction whose instruction is the Memo")
        if expected not in outer and not any(data == expected for _, _, data, _ in _inner_memos(meta, keys)):
            raise _mismatch(f"the transaction carries no memo that is exactly {expected.decode()!r}")
        raise SignatureMismatchError(f"the memo is right but it was signed by {', '.join(signers)}, not by the "
                                     f"snapshot address {facts.snapshot_address}", field=FIELD)
    block_time = answer.get("blockTime")
    if not isinstance(block_time, int):
        raise _mismatch("the node does not say when the transaction was executed (no block time)")
    executed_at = dt.datetime.fromtimestamp(block_time, dt.UTC)
    if executed_at < facts.issued_at - dt.timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise _mismatch(f"the transaction was executed at {executed_at.isoformat()}, before the challenge was "
                        f"issued ({facts.issued_at.isoformat()})")
    return ProvenSigner(facts.snapshot_address, "solana_onchain", {
        "signature": signature, "slot": answer.get("slot"), "block_time": block_time, "signed_as": how,
        "memo": expected.decode(), "signers": signers,
        **({"squads": msgspec.to_builtins(vault)} if vault else {})})


def _through_program(tx: VersionedTransaction, keys: list[str], address: str, outer_indexes: list[int | None],
                     chain: SolanaChain) -> tuple[str | None, squads.MultisigState | dict[str, Any] | None]:
    """How a PDA signed the Memo: through a Squads vault execution whose multisig derives it (with the multisig
    read from the node), or through another program's invocation. A Squads instruction that is no execution
    (or whose multisig does not derive the address) is not accepted."""
    for index in outer_indexes:
        if index is None or index >= len(tx.message.instructions):
            continue
        instruction = tx.message.instructions[index]
        program = keys[instruction.program_id_index] if instruction.program_id_index < len(keys) else ""
        if program != squads.PROGRAM:
            return "program-derived address (signed through its program's invocation)", None
        multisig = keys[instruction.accounts[0]] if instruction.accounts and instruction.accounts[0] < len(keys) \
            else ""
        vault_index = squads.vault_index(multisig, address) if squads.is_execution(bytes(instruction.data)) else None
        if vault_index is not None:
            state = squads.state_of(multisig, vault_index, chain.get_account(multisig))
            return "Squads vault (an executed vault transaction signed for it)", state or {
                "address": multisig, "vault_index": vault_index, "threshold": None, "members": None, "slot": None}
        raise SignatureMismatchError(f"the Memo naming {address} runs inside a Squads instruction that is not the "
                                     "execution of an approved vault transaction of the multisig whose vault it is; "
                                     "only an executed vault transaction proves control of a vault", field=FIELD)
    return None, None
