"""SPL Token / Token-2022 instructions for the LiteSVM tests, encoded by hand from the programs' layouts.

No Python SPL client is a dependency (solders has the account layouts, not the instructions); each
builder below is one instruction of ``spl_token::instruction`` with its tag byte and accounts, run by
the real Token programs LiteSVM loads. ``Ledger`` wraps a LiteSVM with the few steps the tests take.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any, NamedTuple

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
MINT_BYTES, ACCOUNT_BYTES, MULTISIG_BYTES = 82, 165, 355
ACCOUNT_TYPE_ACCOUNT = 2
MINT_DECIMALS_OFFSET = 44
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
    """A transaction LiteSVM ran, with what an RPC node would keep of it (LiteSVM keeps only the metadata):
    the token balances of its token accounts before and after, as ``meta.pre/postTokenBalances``."""

    wire: bytes
    slot: int
    block_time: int
    err: str | None
    inner_instructions: list[list[InnerInstruction]]
    logs: list[str]
    pre_token_balances: list[dict[str, Any]] = []
    post_token_balances: list[dict[str, Any]] = []


def token_account_state(program: Pubkey, data: bytes) -> tuple[Pubkey, Pubkey, int] | None:
    """(mint, owner, amount) of a Token or Token-2022 account's base layout, or None for a mint, multisig or other."""
    if program not in (TOKEN, TOKEN_2022) or len(data) < ACCOUNT_BYTES:
        return None
    if len(data) != ACCOUNT_BYTES and not (program == TOKEN_2022 and len(data) != MULTISIG_BYTES
                                           and data[ACCOUNT_BYTES] == ACCOUNT_TYPE_ACCOUNT):
        return None
    return Pubkey.from_bytes(data[:32]), Pubkey.from_bytes(data[32:64]), struct.unpack_from("<Q", data, 64)[0]


class Ledger:
    """A LiteSVM with the real Token programs, and the steps the tests take on it.

    Each transaction runs in a new slot (one after the last) and ``SECONDS_PER_TRANSACTION`` later, so
    reads and block times move as on a cluster: state read at ``slot`` holds every transaction of slots up
    to it and none after, as a node's reads at a slot do. Each is kept in ``executed`` (with its token
    accounts' balances before and after) and, under every account key it names, in ``history``
    (oldest first), for the JSON-RPC front.
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
        self.history: dict[str, list[str]] = {}

    @property
    def slot(self) -> int:
        return self.svm.get_clock().slot

    def send(self, instructions: list[Instruction], *signers: Keypair, payer: Keypair | None = None,
             expect_failure: bool = False) -> str:
        fee_payer = payer or self.payer
        clock = self.svm.get_clock()
        clock.slot += 1
        clock.unix_timestamp += self.SECONDS_PER_TRANSACTION
        self.svm.set_clock(clock)
        message = Message.new_with_blockhash(instructions, fee_payer.pubkey(), self.svm.latest_blockhash())
        keys = {fee_payer.pubkey(): fee_payer, **{signer.pubkey(): signer for signer in signers}}
        tx = VersionedTransaction(message, list(keys.values()))
        before = self.token_balances(list(message.account_keys))
        result = self.svm.send_transaction(tx)
        failed = isinstance(result, FailedTransactionMetadata)
        if failed != expect_failure:
            raise AssertionError(f"transaction {'failed' if failed else 'succeeded'}: {result}")
        meta = result.meta() if failed else result
        signature = str(tx.signatures[0])
        self.executed[signature] = Executed(bytes(tx), clock.slot, clock.unix_timestamp,
                                            str(result.err()) if failed else None, list(meta.inner_instructions()),
                                            list(meta.logs()), before, self.token_balances(list(message.account_keys)))
        for key in message.account_keys:
            self.history.setdefault(str(key), []).append(signature)
        self.svm.expire_blockhash()
        return signature

    def token_balances(self, keys: list[Pubkey]) -> list[dict[str, Any]]:
        """``meta.preTokenBalances`` (or post): each of ``keys`` that is a token account now, by its index."""
        found = []
        for index, key in enumerate(keys):
            account = self.svm.get_account(key)
            state = None if account is None else token_account_state(account.owner, bytes(account.data))
            if state is None:
                continue
            mint, owner, amount = state
            mint_account = self.svm.get_account(mint)
            decimals = bytes(mint_account.data)[MINT_DECIMALS_OFFSET] if mint_account is not None else 0
            shown = Decimal(amount).scaleb(-decimals)
            found.append({"accountIndex": index, "mint": str(mint), "owner": str(owner),
                          "programId": str(account.owner),
                          "uiTokenAmount": {"amount": str(amount), "decimals": decimals, "uiAmount": float(shown),
                                            "uiAmountString": format(shown.normalize(), "f")}})
        return found

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
