"""SPL token holders of a mint, from the token accounts a Solana node holds now, summed by owner.

Solana RPC cannot read the past: ``getProgramAccounts`` answers from the node's current state, and
``minContextSlot`` only refuses a node that is behind. So a Solana snapshot is taken at the slot the
node answered at, and the manifest records exactly that: the finalized slot asked as the floor
(``minContextSlot``) and the ``context.slot`` of every read (``withContext``).

Reads (all ``commitment: finalized``, base64):
- ``getAccountInfo(mint)``: the mint exists on this node (a node of another cluster has no such
  account), belongs to Token or Token-2022, its decimals;
- Token program accounts: ``dataSize: 165`` and a ``memcmp`` of the mint at offset 0;
- Token-2022 accounts without extensions: the same two filters;
- Token-2022 accounts with extensions, which are longer than 165 bytes: the mint at offset 0 and the
  account type byte at offset 165 equal to 2 (``AccountType::Account``), which keeps mints and
  multisigs out.

Each account's 165-byte base layout is parsed (mint, owner, amount u64, delegate, state, delegated
amount) and checked again here (program, mint, length, type byte), so a node answering something
else is refused. Owners off the ed25519 curve are PDAs (pools, vaults, multisigs): they cannot sign
a message and are reported, as are frozen and delegated accounts, for the operator to decide.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import base58
import msgspec
from solders.pubkey import Pubkey

from snapshot.errors import ChainError
from snapshot.from_chain.rpc import JsonRpcClient

TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"  # noqa: S105 (a program id)
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"  # noqa: S105 (a program id)
ACCOUNT_BYTES = 165
MINT_BYTES = 82
MULTISIG_BYTES = 355
ACCOUNT_TYPE_MINT, ACCOUNT_TYPE_ACCOUNT = 1, 2
STATE_INITIALIZED, STATE_FROZEN = 1, 2
StageProgress = Callable[[str, int, int], None]


class Holding(msgspec.Struct, frozen=True):
    """One token account, as the report lists it."""

    account: str
    owner: str
    amount: str
    program: str
    delegate: str | None = None
    delegated_amount: str | None = None


class SolanaScan(msgspec.Struct):
    """Positive balances by 32-byte owner, the slots read at, and what the operator must look at."""

    balances: dict[bytes, int]
    accounts: list[tuple[bytes, bytes, int]]  # (token account, owner, amount) of every non-empty account
    genesis_hash: str
    token_program: str
    decimals: int
    min_context_slot: int
    slots: dict[str, int]
    off_curve_owners: list[dict[str, str]]
    frozen: list[Holding]
    delegated: list[Holding]

    @property
    def slot(self) -> int:
        """The latest slot the node answered a read at: the state is no older than this."""
        return max(self.slots.values())


def b58encode(raw: bytes) -> str:
    """Base58 of a 32-byte key through solders (Rust): the pure-Python one costs ~100 µs a key."""
    return str(Pubkey.from_bytes(raw))


def _decode_key(text: str, what: str) -> bytes:
    try:
        return bytes(Pubkey.from_string(text))
    except ValueError:
        raise ChainError(f"{what}: {text[:60]!r} is not a base58 public key") from None


def _reads(mint: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    by_mint = {"memcmp": {"offset": 0, "bytes": mint}}
    type_byte = base58.b58encode(bytes([ACCOUNT_TYPE_ACCOUNT])).decode()
    account_type = {"memcmp": {"offset": ACCOUNT_BYTES, "bytes": type_byte}}
    return [
        ("token", TOKEN_PROGRAM, [{"dataSize": ACCOUNT_BYTES}, by_mint]),
        ("token-2022", TOKEN_2022_PROGRAM, [{"dataSize": ACCOUNT_BYTES}, by_mint]),
        ("token-2022-extensions", TOKEN_2022_PROGRAM, [by_mint, account_type]),
    ]


def _data(account: Any, what: str) -> bytes:
    data = account.get("data") if isinstance(account, dict) else None
    if not (isinstance(data, list) and len(data) == 2 and data[1] == "base64" and isinstance(data[0], str)):
        raise ChainError(f"{what}: expected base64 account data, the node answered {str(data)[:80]!r}")
    try:
        return base64.b64decode(data[0], validate=True)
    except (binascii.Error, ValueError):
        raise ChainError(f"{what}: account data is not base64") from None


def _context_value(answer: Any, method: str) -> tuple[int, Any]:
    if not (isinstance(answer, dict) and isinstance(answer.get("context"), dict)
            and isinstance(answer["context"].get("slot"), int) and "value" in answer):
        raise ChainError(f"{method}: expected {{context: {{slot}}, value}}, the node answered {str(answer)[:80]!r}")
    return answer["context"]["slot"], answer["value"]


def read_mint(client: JsonRpcClient, mint: str, min_slot: int) -> tuple[str, int, int]:
    """The mint's owning program, its decimals, and the slot of the answer."""
    slot, value = _context_value(client.call("getAccountInfo", [mint, {
        "encoding": "base64", "commitment": "finalized", "minContextSlot": min_slot}]), "getAccountInfo")
    if value is None:
        raise ChainError(f"no account {mint} on this node: a wrong mint, or a node of another cluster")
    program = value.get("owner") if isinstance(value, dict) else None
    if program not in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
        raise ChainError(f"{mint} is owned by {program}, not by the Token or Token-2022 program: not a mint")
    data = _data(value, "getAccountInfo")
    is_mint = len(data) == MINT_BYTES or (len(data) > ACCOUNT_BYTES and data[ACCOUNT_BYTES] == ACCOUNT_TYPE_MINT)
    if not is_mint or data[45] != 1:
        raise ChainError(f"{mint} is a {program} account but not an initialized mint")
    return program, data[44], slot


def _parse_account(entry: Any, program: str, mint_raw: bytes) -> tuple[bytes, bytes, bytes, int, int, bytes | None,
                                                                         int]:
    if not isinstance(entry, dict) or not isinstance(entry.get("pubkey"), str) or \
            not isinstance(entry.get("account"), dict):
        raise ChainError(f"getProgramAccounts: not a {{pubkey, account}} entry: {str(entry)[:80]!r}")
    address = entry["pubkey"]
    address_raw = _decode_key(address, "getProgramAccounts")
    if entry["account"].get("owner") != program:
        raise ChainError(f"getProgramAccounts({program}) answered {address}, owned by {entry['account'].get('owner')}")
    data = _data(entry["account"], f"token account {address}")
    extended = len(data) > ACCOUNT_BYTES and len(data) != MULTISIG_BYTES and data[ACCOUNT_BYTES] == ACCOUNT_TYPE_ACCOUNT
    if len(data) != ACCOUNT_BYTES and not (program == TOKEN_2022_PROGRAM and extended):
        raise ChainError(f"token account {address}: {len(data)} bytes is not a token account of {program}")
    if data[:32] != mint_raw:
        raise ChainError(f"getProgramAccounts answered {address}, an account of another mint")
    state = data[108]
    delegate = data[76:108] if data[72:76] == b"\x01\0\0\0" else None
    return (address_raw, data[32:64], data[:32], int.from_bytes(data[64:72], "little"), state, delegate,
            int.from_bytes(data[121:129], "little"))


def read_solana(client: JsonRpcClient, mint: str, *, expected_genesis_hash: str | None = None,
                progress: StageProgress | None = None) -> SolanaScan:
    """Balances by owner of ``mint`` (base58), read at the node's current finalized state."""
    report = progress or (lambda stage, done, total: None)
    mint_raw = _decode_key(mint, "mint")
    genesis = client.call("getGenesisHash")
    if not isinstance(genesis, str) or not 32 <= len(genesis) <= 44:
        raise ChainError(f"getGenesisHash: the node answered {str(genesis)[:80]!r}")
    if expected_genesis_hash is not None and genesis != expected_genesis_hash:
        raise ChainError(f"the node's genesis hash is {genesis}, not {expected_genesis_hash}: another cluster")
    floor = client.call("getSlot", [{"commitment": "finalized"}])
    if not isinstance(floor, int) or floor < 0:
        raise ChainError(f"getSlot: the node answered {str(floor)[:80]!r}")
    token_program, decimals, mint_slot = read_mint(client, mint, floor)
    slots = {"mint": mint_slot}
    balances: dict[bytes, int] = {}
    accounts: list[tuple[bytes, bytes, int]] = []
    frozen: list[Holding] = []
    delegated: list[Holding] = []
    reads = _reads(mint)
    for number, (label, program, filters) in enumerate(reads, start=1):
        answer = client.call("getProgramAccounts", [program, {
            "encoding": "base64", "commitment": "finalized", "withContext": True, "minContextSlot": floor,
            "filters": filters}])
        slots[label], value = _context_value(answer, f"getProgramAccounts({label})")
        if not isinstance(value, list):
            raise ChainError(f"getProgramAccounts({label}): expected a list, the node answered {str(value)[:80]!r}")
        for entry in value:
            address, owner, _, amount, state, delegate, delegated_amount = _parse_account(entry, program, mint_raw)
            if state not in (STATE_INITIALIZED, STATE_FROZEN):
                continue
            holding = Holding(b58encode(address), b58encode(owner), str(amount), program)
            if state == STATE_FROZEN:
                frozen.append(holding)
            if delegate is not None:
                delegated.append(msgspec.structs.replace(holding, delegate=b58encode(delegate),
                                                         delegated_amount=str(delegated_amount)))
            if amount:
                accounts.append((address, owner, amount))
                balances[owner] = balances.get(owner, 0) + amount
        report("accounts", number, len(reads))
    off_curve = [{"owner": b58encode(owner), "amount": str(amount)} for owner, amount in sorted(balances.items())
                 if not Pubkey.from_bytes(owner).is_on_curve()]
    return SolanaScan(balances, accounts, genesis, token_program, decimals, floor, slots, off_curve, frozen,
                      delegated)
