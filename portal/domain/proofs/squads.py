"""Squads v4 multisig vaults: which executed transaction proves that a vault PDA acted, and who the multisig is.

A Squads vault is a PDA of the Squads program, ``["multisig", multisig, "vault", vault_index]``. It acts
only when the program executes an approved vault transaction (``vault_transaction_execute``, or
``batch_execute_transaction``) and signs for it with ``invoke_signed``. So for a vault, a Memo proves
control only as an inner instruction of such an execution, naming the vault (Memo v2 fails unless
every account named signed), where the vault is derived from the executed instruction's multisig.

A ``memo`` in ``vault_transaction_create``'s arguments proves nothing of the kind: any member with the
"initiate" permission can create a vault transaction without anyone's approval, and the program never
uses that memo. It proves membership, not control, and is refused with a sentence saying so.

The layouts are those of the published IDL (``@sqds/multisig`` 2.1.4, ``idl/squads_multisig_program.json``,
Anchor 0.29): instruction discriminators ``sha256("global:<name>")[:8]``, account discriminator
``sha256("account:Multisig")[:8]``, and the ``Multisig`` account: create_key, config_authority (32 bytes
each), threshold u16, time_lock u32, transaction_index u64, stale_transaction_index u64, rent_collector
Option<Pubkey>, bump u8, members Vec<{key 32 bytes, permissions mask u8}> (little-endian).
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import msgspec
from solders.pubkey import Pubkey

PROGRAM = "SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf"
_PROGRAM_KEY = Pubkey.from_string(PROGRAM)
MAX_VAULT_INDEX = 255  # the vault index is a u8
PERMISSIONS = ((1, "initiate"), (2, "vote"), (4, "execute"))


def _instruction(name: str) -> bytes:
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


EXECUTE = (_instruction("vault_transaction_execute"), _instruction("batch_execute_transaction"))
CREATE = _instruction("vault_transaction_create")
MULTISIG_ACCOUNT = hashlib.sha256(b"account:Multisig").digest()[:8]


class Member(msgspec.Struct, frozen=True):
    key: str
    permissions: list[str]


class MultisigState(msgspec.Struct, frozen=True):
    """The multisig as the node showed it at ``slot``: what reviewers see beside a vault's proof."""

    address: str
    vault_index: int
    threshold: int
    members: list[Member]
    slot: int | None


def vault_index(multisig: str, vault: str) -> int | None:
    """The index ``i`` with ``vault == PDA(["multisig", multisig, "vault", i])``, or ``None``."""
    try:
        seed = bytes(Pubkey.from_string(multisig))
    except ValueError:
        return None
    for index in range(MAX_VAULT_INDEX + 1):
        derived, _ = Pubkey.find_program_address([b"multisig", seed, b"vault", bytes([index])], _PROGRAM_KEY)
        if str(derived) == vault:
            return index
    return None


def is_execution(data: bytes) -> bool:
    return data[:8] in EXECUTE


def memo_only_in_create(program_data: list[tuple[str, bytes]], expected: bytes) -> bool:
    """Whether a ``vault_transaction_create`` carries the nonce line in its (unused) ``memo`` argument."""
    return any(program == PROGRAM and data[:8] == CREATE and expected in data for program, data in program_data)


def decode_multisig(data: bytes) -> tuple[int, list[Member]]:
    """``(threshold, members)`` of a ``Multisig`` account; ``ValueError`` for anything else."""
    if data[:8] != MULTISIG_ACCOUNT:
        raise ValueError("not a Squads Multisig account")
    at = 8 + 32 + 32
    (threshold,) = struct.unpack_from("<H", data, at)
    at += 2 + 4 + 8 + 8
    at += 1 + (32 if data[at] == 1 else 0)  # rent_collector: Option<Pubkey>
    at += 1  # bump
    (count,) = struct.unpack_from("<I", data, at)
    at += 4
    if at + 33 * count > len(data):
        raise ValueError("members run past the end of the account")
    members = []
    for _ in range(count):
        key, mask = Pubkey.from_bytes(data[at:at + 32]), data[at + 32]
        members.append(Member(str(key), [name for bit, name in PERMISSIONS if mask & bit]))
        at += 33
    return threshold, members


def state_of(multisig: str, index: int, account: dict[str, Any] | None) -> MultisigState | None:
    """The multisig's threshold and members from the node's ``getAccountInfo`` answer (``None`` when it has none
    or it is not a Squads Multisig account: then the proof rests on the derivation alone, and says so)."""
    if account is None or account.get("owner") != PROGRAM:
        return None
    try:
        threshold, members = decode_multisig(account["data"])
    except (ValueError, struct.error, IndexError):
        return None
    return MultisigState(multisig, index, threshold, members, account.get("slot"))
