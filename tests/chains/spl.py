"""SPL Token / Token-2022 instructions for the LiteSVM tests, encoded by hand from the programs' layouts.

No Python SPL client is a dependency (solders has the account layouts, not the instructions); each
builder below is one instruction of ``spl_token::instruction`` with its tag byte and accounts, run by
the real Token programs LiteSVM loads. ``Ledger`` wraps a LiteSVM with the few steps the tests take.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, InnerInstruction

TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
MINT_BYTES, ACCOUNT_BYTES = 82, 165
IMMUTABLE_OWNER_ACCOUNT_BYTES = 170  # 165 + account type byte + an empty ImmutableOwner TLV entry (4 bytes)


def _w(key: Pubkey, signer: bool = False) -> AccountMeta:
    return AccountMeta(key, is_signer=signer, is_writable=True)


def _r(key: Pubkey, signer: bool = False) -> AccountMeta:
    return AccountMeta(key, is_signer=signer, is_writable=False)


def initialize_mint2(program: Pubkey, mint: Pubkey, authority: Pubkey, decimals: int) -> Instruction:
    data = bytes([20, decimals]) + bytes(authority) + b"\x01" + bytes(authority)  # freeze authority: the same key
    return Instruction(program, data, [_w(mint)])


def initialize_account3(program: Pubkey, account: Pubkey, mint: Pubkey, owner: Pubkey) -> Instruction:
    return Instruction(program, bytes([18]) + bytes(owner), [_w(account), _r(mint)])


def initialize_immutable_owner(account: Pubkey) -> Instruction:
    return Instruction(TOKEN_2022, bytes([22]), [_w(account)])


def mint_to(program: Pubkey, mint: Pubkey, account: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    return Instruction(program, bytes([7]) + struct.pack("<Q", amount), [_w(mint), _w(account), _r(authority, True)])


def transfer(program: Pubkey, source: Pubkey, destination: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    return Instruction(program, bytes([3]) + struct.pack("<Q", amount),
                       [_w(source), _w(destination), _r(owner, True)])


def approve(program: Pubkey, source: Pubkey, delegate: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    return Instruction(program, bytes([4]) + struct.pack("<Q", amount), [_w(source), _r(delegate), _r(owner, True)])


def freeze(program: Pubkey, account: Pubkey, mint: Pubkey, authority: Pubkey) -> Instruction:
    return Instruction(program, bytes([10]), [_w(account), _r(mint), _r(authority, True)])


def memo(text: str, *signers: Pubkey) -> Instruction:
    return Instruction(MEMO, text.encode(), [_r(signer, True) for signer in signers])


class Executed(NamedTuple):
    """A transaction LiteSVM ran, with what an RPC node would keep of it (LiteSVM keeps only the metadata)."""

    wire: bytes
    slot: int
    block_time: int
    err: str | None
    inner_instructions: list[list[InnerInstruction]]
    logs: list[str]


class Ledger:
    """A LiteSVM with the real Token programs, and the steps the tests take on it.

    Each transaction advances the slot by one and the clock by ``SECONDS_PER_TRANSACTION``, so reads
    and block times move as on a cluster, and is kept in ``executed`` for the JSON-RPC front.
    """

    SECONDS_PER_TRANSACTION = 1

    def __init__(self, svm: LiteSVM | None = None, *, unix_time: int = 1_800_000_000) -> None:
        self.svm = svm or LiteSVM()
        clock = self.svm.get_clock()
        clock.unix_timestamp = unix_time
        self.svm.set_clock(clock)
        self.payer = Keypair()
        self.svm.airdrop(self.payer.pubkey(), 100 * 10**9)
        self.executed: dict[str, Executed] = {}

    @property
    def slot(self) -> int:
        return self.svm.get_clock().slot

    def send(self, instructions: list[Instruction], *signers: Keypair, payer: Keypair | None = None,
             expect_failure: bool = False) -> str:
        fee_payer = payer or self.payer
        message = Message.new_with_blockhash(instructions, fee_payer.pubkey(), self.svm.latest_blockhash())
        keys = {fee_payer.pubkey(): fee_payer, **{signer.pubkey(): signer for signer in signers}}
        tx = VersionedTransaction(message, list(keys.values()))
        result = self.svm.send_transaction(tx)
        failed = isinstance(result, FailedTransactionMetadata)
        if failed != expect_failure:
            raise AssertionError(f"transaction {'failed' if failed else 'succeeded'}: {result}")
        meta = result.meta() if failed else result
        clock = self.svm.get_clock()
        self.executed[str(tx.signatures[0])] = Executed(bytes(tx), clock.slot, clock.unix_timestamp,
                                                        str(result.err()) if failed else None,
                                                        list(meta.inner_instructions()), list(meta.logs()))
        clock.slot += 1
        clock.unix_timestamp += self.SECONDS_PER_TRANSACTION
        self.svm.set_clock(clock)
        self.svm.expire_blockhash()
        return str(tx.signatures[0])

    def _create(self, program: Pubkey, size: int) -> tuple[Keypair, Instruction]:
        account = Keypair()
        rent = self.svm.minimum_balance_for_rent_exemption(size)
        return account, create_account(CreateAccountParams(from_pubkey=self.payer.pubkey(), to_pubkey=account.pubkey(),
                                                           lamports=rent, space=size, owner=program))

    def create_mint(self, authority: Keypair, program: Pubkey = TOKEN, decimals: int = 6) -> Pubkey:
        mint, create = self._create(program, MINT_BYTES)
        self.send([create, initialize_mint2(program, mint.pubkey(), authority.pubkey(), decimals)], mint)
        return mint.pubkey()

    def create_account(self, mint: Pubkey, owner: Pubkey, program: Pubkey = TOKEN, *,
                       immutable_owner: bool = False) -> Pubkey:
        size = IMMUTABLE_OWNER_ACCOUNT_BYTES if immutable_owner else ACCOUNT_BYTES
        account, create = self._create(program, size)
        steps = [create] + ([initialize_immutable_owner(account.pubkey())] if immutable_owner else [])
        self.send([*steps, initialize_account3(program, account.pubkey(), mint, owner)], account)
        return account.pubkey()
