"""ERC-20 holders at a block, from the token's ``Transfer`` logs, cross-checked by ``balanceOf``.

How: ``eth_getLogs`` for the token's ``Transfer`` topic over ``[from_block, block]`` in chunks of
blocks; when the node refuses a chunk as too many results (Infura/Alchemy/geth wording, or code
-32005) the chunk is halved and asked again; after each answered chunk it doubles again, but not past
the size last refused until ``RELAX_AFTER`` chunks in a row were answered (then that ceiling doubles,
up to ``chunk_blocks``). So a dense stretch costs about one refused call per ``RELAX_AFTER`` answered
ones, and a sparse one goes back to big chunks. Every log moves ``value`` from ``from`` to ``to``; the
zero address is the mint/burn side.
Then every address seen in any log is asked ``balanceOf(address)`` at ``block`` (JSON-RPC batches);
any difference refuses the snapshot, naming the address, since it means the logs do not tell the
whole story (fee-on-transfer, rebasing, a token that does not log every move, a node missing logs).
A node that keeps no state at ``block`` (not an archive node) cannot answer; the check is then
skipped and the manifest says so.

Invariants: ``read_evm`` returns positive balances only, of holders that passed the check (or with
the check recorded as skipped), or raises ``ChainError``; it writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import sha3

from snapshot.addresses import to_checksum_address
from snapshot.errors import ChainError
from snapshot.from_chain.rpc import JsonRpcClient, RpcError

TRANSFER_TOPIC = "0x" + sha3.keccak_256(b"Transfer(address,address,uint256)").hexdigest()
BALANCE_OF_SELECTOR = "0x70a08231"
DEFAULT_CHUNK_BLOCKS = 5_000
BALANCE_BATCH_SIZE = 100
#: Answered chunks after which the size a node refused may be tried again (the logs may have thinned out).
RELAX_AFTER = 8
ZERO = bytes(20)
_TOO_MANY = re.compile(r"too many|more than \d+ results|limit exceeded|exceeds? .*limit|response size|"
                       r"query returned more than|block range", re.IGNORECASE)
_NO_HISTORY = re.compile(r"missing trie node|header not found|pruned|historical state|state .*not (found|available)|"
                         r"not an archive|unknown block|no state", re.IGNORECASE)
#: ``progress(stage, done, total)``: stage ``"logs"`` counts blocks, ``"balances"`` counts holders.
StageProgress = Callable[[str, int, int], None]


class EvmScan(msgspec.Struct):
    """What the replay found: positive balances by 20-byte address, and how it got them."""

    balances: dict[bytes, int]
    chain_id: int
    logs: int
    log_calls: int
    halvings: int
    balance_check: str


def is_too_many_results(error: RpcError) -> bool:
    return error.code == -32005 or _TOO_MANY.search(error.message) is not None


def _hex_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ChainError(f"{what}: expected a 0x hex quantity, the node answered {str(value)[:80]!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise ChainError(f"{what}: expected a 0x hex quantity, the node answered {value[:80]!r}") from None


def _topic_address(topic: Any, log: dict[str, Any]) -> bytes:
    try:
        raw = bytes.fromhex(topic[2:]) if isinstance(topic, str) and topic.startswith("0x") else b""
    except ValueError:
        raw = b""
    if len(raw) != 32 or any(raw[:12]):
        raise ChainError(f"Transfer log {_where(log)}: topic {str(topic)[:80]!r} is not an address")
    return raw[12:]


def _where(log: Any) -> str:
    if not isinstance(log, dict):
        return repr(log)[:80]
    return f"tx {log.get('transactionHash')} log {log.get('logIndex')} block {log.get('blockNumber')}"


def _apply(logs: Any, token_hex: str, first: int, last: int, deltas: dict[bytes, int]) -> int:
    if not isinstance(logs, list):
        raise ChainError(f"eth_getLogs: expected a list of logs, the node answered {str(logs)[:80]!r}")
    for log in logs:
        if not isinstance(log, dict) or not isinstance(log.get("topics"), list):
            raise ChainError(f"eth_getLogs: not a log: {_where(log)}")
        if log.get("removed") is True:
            raise ChainError(f"Transfer log {_where(log)} was removed by a reorganisation: ask a block that is final")
        if str(log.get("address", "")).lower() != token_hex or not log["topics"] or \
                str(log["topics"][0]).lower() != TRANSFER_TOPIC:
            raise ChainError(f"eth_getLogs answered a log of another contract or event: {_where(log)}")
        if len(log["topics"]) != 3:
            raise ChainError(f"Transfer log {_where(log)} has {len(log['topics'])} topics, not 3: "
                             "not an ERC-20 Transfer (an ERC-721 token?)")
        if not first <= _hex_int(log.get("blockNumber"), "log blockNumber") <= last:
            raise ChainError(f"eth_getLogs answered a log outside blocks {first}..{last}: {_where(log)}")
        value = _hex_int(log.get("data"), f"Transfer log {_where(log)} data")
        if value >= 2**256 or len(str(log["data"])) != 66:
            raise ChainError(f"Transfer log {_where(log)}: data is not one uint256")
        sender, receiver = _topic_address(log["topics"][1], log), _topic_address(log["topics"][2], log)
        if sender != ZERO:
            deltas[sender] = deltas.get(sender, 0) - value
        if receiver != ZERO:
            deltas[receiver] = deltas.get(receiver, 0) + value
    return len(logs)


def replay_logs(client: JsonRpcClient, token_hex: str, from_block: int, block: int, *, chunk_blocks: int,
                progress: StageProgress) -> tuple[dict[bytes, int], int, int, int]:
    """Net balance change of every address in ``[from_block, block]``; also logs, calls, halvings."""
    deltas: dict[bytes, int] = {}
    logs = calls = halvings = 0
    start, size, total = from_block, chunk_blocks, block - from_block + 1
    ceiling, streak = chunk_blocks, 0  # no growth past a size the node refused, until RELAX_AFTER answers
    while start <= block:
        end = min(start + size - 1, block)
        calls += 1
        try:
            answer = client.call("eth_getLogs", [{"address": token_hex, "topics": [TRANSFER_TOPIC],
                                                  "fromBlock": hex(start), "toBlock": hex(end)}])
        except RpcError as exc:
            if not is_too_many_results(exc):
                raise
            if end == start:
                raise ChainError(f"eth_getLogs: the node refuses even one block ({start}) as too many results: "
                                 f"{exc.message}") from None
            refused = end - start + 1
            size, ceiling, streak = max(1, refused // 2), max(1, refused - 1), 0
            halvings += 1
            continue
        logs += _apply(answer, token_hex, start, end, deltas)
        start = end + 1
        streak += 1
        if streak >= RELAX_AFTER:
            ceiling, streak = min(chunk_blocks, ceiling * 2), 0
        size = min(ceiling, size * 2)
        progress("logs", start - from_block, total)
    return deltas, logs, calls, halvings


def _balance_call(token_hex: str, holder: bytes, block: int) -> list[Any]:
    return [{"to": token_hex, "data": BALANCE_OF_SELECTOR + holder.rjust(32, b"\0").hex()}, hex(block)]


def check_balances(client: JsonRpcClient, token_hex: str, block: int, replayed: dict[bytes, int], *,
                   batch_size: int, progress: StageProgress) -> str:
    """``balanceOf`` at ``block`` for every address the logs touched; raises naming any mismatch."""
    addresses = sorted(replayed)
    mismatches: list[str] = []
    for offset in range(0, len(addresses), batch_size):
        part = addresses[offset: offset + batch_size]
        try:
            answers = client.batch("eth_call", [_balance_call(token_hex, holder, block) for holder in part])
        except RpcError as exc:
            if offset == 0 and _NO_HISTORY.search(exc.message):
                return f"skipped: the node keeps no state at block {block} ({exc.message[:120]})"
            raise
        for holder, answer in zip(part, answers, strict=True):
            on_chain = _hex_int(answer, f"balanceOf({to_checksum_address(holder)})")
            if on_chain != replayed[holder]:
                mismatches.append(f"{to_checksum_address(holder)}: balanceOf at block {block} is {on_chain}, "
                                  f"the Transfer logs give {replayed[holder]}")
        progress("balances", min(offset + batch_size, len(addresses)), len(addresses))
    if mismatches:
        shown = "; ".join(mismatches[:5]) + (f"; and {len(mismatches) - 5} more" if len(mismatches) > 5 else "")
        raise ChainError(f"{len(mismatches)} holder(s) do not match balanceOf, refusing the snapshot: {shown}")
    return f"balanceOf at block {block} equals the replay for all {len(addresses)} addresses in the logs"


def read_evm(client: JsonRpcClient, token: bytes, block: int, *, from_block: int = 0,
             expected_chain_id: int | None = None, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
             batch_size: int = BALANCE_BATCH_SIZE, progress: StageProgress | None = None) -> EvmScan:
    """Balances of ``token`` (20 raw bytes) at ``block`` on the node behind ``client``."""
    report = progress or (lambda stage, done, total: None)
    if not 0 <= from_block <= block:
        raise ChainError(f"from-block {from_block} must be between 0 and the snapshot block {block}")
    token_hex = "0x" + token.hex()
    chain_id = _hex_int(client.call("eth_chainId"), "eth_chainId")
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainError(f"the node is on chain id {chain_id}, not {expected_chain_id}: another chain")
    head = _hex_int(client.call("eth_blockNumber"), "eth_blockNumber")
    if block > head:
        raise ChainError(f"block {block} is ahead of the node's latest block {head}")
    try:
        code = client.call("eth_getCode", [token_hex, hex(block)])
    except RpcError as exc:
        if not _NO_HISTORY.search(exc.message):
            raise
        code = client.call("eth_getCode", [token_hex, "latest"])
    if not isinstance(code, str) or not code.startswith("0x"):
        raise ChainError(f"eth_getCode: the node answered {str(code)[:80]!r}")
    if code in ("0x", "0x0"):
        raise ChainError(f"no contract at {to_checksum_address(token)} on chain id {chain_id} at block {block}: "
                         "a wrong token address, or a node of another chain")
    deltas, logs, calls, halvings = replay_logs(client, token_hex, from_block, block, chunk_blocks=chunk_blocks,
                                                progress=report)
    negative = sorted(key for key, amount in deltas.items() if amount < 0)
    if negative:
        raise ChainError(f"the logs from block {from_block} give {len(negative)} address(es) a negative balance "
                         f"(first {to_checksum_address(negative[0])}): start at the token's deployment block")
    check = check_balances(client, token_hex, block, deltas, batch_size=batch_size, progress=report)
    return EvmScan({key: amount for key, amount in deltas.items() if amount > 0}, chain_id, logs, calls, halvings,
                   check)
