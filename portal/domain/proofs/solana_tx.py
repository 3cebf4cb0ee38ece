"""``solana_tx``: a signed, never-broadcast Solana transaction whose one memo names the request.

For wallets that sign transactions but not messages (older Ledger apps, card wallets through
WalletConnect). The challenge hands out the exact transaction to sign (``build_unsigned``): legacy
format, the snapshot key as fee payer and only signer, one SPL Memo v2 instruction whose data is
the request's memo (``memo_text``: the snapshot address, the destination and its chain, and the
nonce, in words, so the wallet or the card's app shows the holder where the tokens go) and which
lists the snapshot key as its signer, and a blockhash derived from the nonce.

Size: a Solana transaction is at most 1232 bytes on the wire (the packet limit). The Tangem app
signs a Solana transaction in one card command whose payload is bounded by the card's 1040-byte
APDU, less the derivation path and service data; it treats a transaction of 930 bytes or more
(964 in later releases) as "long" and handles it another way (``SolanaTransactionSizeUtils`` in
tangem-app-ios). Ours is a fixed shape whose only variable parts are the two addresses and the
chain: at most 435 bytes (Solana addresses of 44 characters, or the longest EVM chain id), bounded
by ``MAX_UNSIGNED_TRANSACTION_BYTES`` (512), well under both limits and needing no lookup table.

Two answers are accepted, both verified offline:

- ``signature`` alone (base58 or hex): the ed25519 signature of the snapshot key over the stored
  message bytes. This is what the Tangem app's ``solana_signTransaction`` answers (``{signature}``).
- ``signed_transaction`` (base64 or base58; both readings are tried, since a base58 text can also be
  valid base64): when its message is byte-for-byte the stored one, the fee payer's signature over it
  is checked (``layout: exact``). Otherwise it is still accepted when it is a well-formed memo
  transaction (``layout: rebuilt``: legacy or v0, fee payer = the snapshot key, exactly one Memo whose
  data is exactly this challenge's ``memo_text``, nothing else but ComputeBudget instructions),
  because some wallets rewrite what they sign (add priority-fee ComputeBudget instructions, refresh
  the blockhash) and the holder should not be turned away for it. That proves the same thing: the
  nonce is single-use and bound to this challenge's snapshot address, destination and expiry, and
  the snapshot key signed it. The reviewer sees which layout it was.

Either way the transaction cannot move anything if someone broadcast it: a memo and the fee payer's
signature are all it holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from solders.hash import Hash
from solders.instruction import AccountMeta, CompiledInstruction, Instruction
from solders.message import Message, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.transaction import Transaction, VersionedTransaction

from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import chain_label, destination_namespace
from portal.domain.proofs.solana import parse_signature
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

MEMO_PROGRAMS = frozenset({
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",  # SPL Memo v2
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",  # SPL Memo v1 (legacy)
})
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"
FIELD = "signed_transaction"
MAX_TRANSACTION_BYTES = 1232  # the Solana packet limit (IPv6 minimum MTU less headers)
TANGEM_TRANSACTION_BYTES = 930  # from this size on the Tangem app treats a Solana transaction as "long"
MAX_UNSIGNED_TRANSACTION_BYTES = 512  # what we hand out: at most 435 with the longest addresses (tested)
MEMO_PREFIX = "migration-portal request: "
MEMO_V2 = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
BLOCKHASH_DOMAIN = b"migration-portal solana_tx blockhash v1:"


def placeholder_blockhash(nonce: str) -> Hash:
    """The "recent blockhash" of the transaction we hand out: sha256 of a fixed prefix and the nonce.

    The transaction is never broadcast, so it needs no real blockhash; a real one would also expire
    in about a minute, long before a holder signs on a card. Deriving it from the nonce makes the
    stored transaction reproducible from the challenge alone and different for every challenge. It
    is harmless: no block has this hash, so a cluster refuses the transaction (``BlockhashNotFound``)
    if anyone ever sent it.
    """
    return Hash(hashlib.sha256(BLOCKHASH_DOMAIN + nonce.encode()).digest())


def memo_text(snapshot_address: str, destination: str, destination_chain: str, chain_id: int, nonce: str) -> str:
    """The memo a ``solana_tx`` transaction carries: one line of printable ASCII naming what the holder
    asks for (the snapshot address, the destination, its chain in words and as CAIP-2), ending with the
    nonce, so that the screen that shows the memo shows where the tokens go."""
    return (f"{MEMO_PREFIX}I own {snapshot_address} and ask that its migrated allocation be sent to {destination} "
            f"on {chain_label(destination_chain, chain_id)} ({destination_namespace(destination_chain, chain_id)}). "
            f"Nonce: {nonce}")


def memo_of(facts: ChallengeFacts) -> str:
    """The exact memo a challenge's transaction must carry, rebuilt from the stored facts."""
    return memo_text(facts.snapshot_address, facts.destination, facts.destination_chain, facts.chain_id, facts.nonce)


def build_unsigned(snapshot_address: str, memo: str, nonce: str) -> str:
    """The base64 wire form of the legacy transaction a ``solana_tx`` challenge asks to sign.

    Fee payer and only signer: the snapshot key; one SPL Memo v2 instruction, data = ``memo``
    (``memo_text``), the snapshot key listed as the memo's signer; the signature slot is 64 zero bytes.
    """
    payer = Pubkey.from_string(snapshot_address)
    memo_instruction = Instruction(MEMO_V2, memo.encode(), [AccountMeta(payer, is_signer=True, is_writable=True)])
    message = Message.new_with_blockhash([memo_instruction], payer, placeholder_blockhash(nonce))
    wire = bytes(Transaction.new_unsigned(message))
    assert len(wire) <= MAX_UNSIGNED_TRANSACTION_BYTES, len(wire)
    return base64.b64encode(wire).decode()


def _candidates(text: str) -> list[bytes]:
    """Both readings of the text: some base58 texts are valid base64 too, so neither wins blindly."""
    if not isinstance(text, str) or not text or len(text) > 4 * MAX_TRANSACTION_BYTES:
        raise MalformedSignatureError("signed_transaction must be a base64 or base58 serialized transaction",
                                      field=FIELD)
    found = []
    try:
        found.append(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        pass
    try:
        found.append(base58.b58decode(text))
    except ValueError:
        pass
    if not found:
        raise MalformedSignatureError("signed_transaction is neither base64 nor base58", field=FIELD)
    return found


def _parse(text: str) -> VersionedTransaction:
    """Legacy and v0 transactions alike (``VersionedTransaction`` reads both)."""
    for raw in _candidates(text):
        try:
            return VersionedTransaction.from_bytes(raw)
        except ValueError:  # solders reports undecodable bytes as ValueError
            continue
    raise MalformedSignatureError("signed_transaction is not a serialized Solana transaction (legacy or v0)",
                                  field=FIELD)


def _check_instructions(keys: list[str], instructions: list[CompiledInstruction], expected_memo: bytes,
                        field: str = FIELD) -> None:
    memos = 0
    for instruction in instructions:
        if instruction.program_id_index >= len(keys):  # a program id can never come from a lookup table
            raise UnprocessableError("an instruction's program is not among the transaction's accounts",
                                     field=field, code="transaction_mismatch")
        program = keys[instruction.program_id_index]
        if program in MEMO_PROGRAMS:
            if bytes(instruction.data) != expected_memo:
                raise UnprocessableError(f"the memo must be exactly {expected_memo.decode()!r}", field=field,
                                         code="transaction_mismatch")
            memos += 1
        elif program != COMPUTE_BUDGET:
            raise UnprocessableError(f"only a memo (and compute-budget) instruction is allowed, found {program}",
                                     field=field, code="transaction_mismatch")
    if memos != 1:
        raise UnprocessableError(f"the transaction must carry exactly one memo instruction with "
                                 f"{expected_memo.decode()!r}, found {memos}", field=field, code="transaction_mismatch")


def _stored_message(facts: ChallengeFacts) -> bytes:
    """The stored transaction's message, once its memo is checked to be exactly ``memo_of(facts)`` (a
    challenge stored before the memo named the addresses is refused: ask for a new one)."""
    if facts.unsigned_transaction is None:  # every solana_tx challenge stores one (migration 0005)
        raise UnprocessableError("this challenge has no transaction to sign; ask for a new one",
                                 field="challenge_id", code="transaction_mismatch")
    message = Transaction.from_bytes(base64.b64decode(facts.unsigned_transaction)).message
    keys = [str(key) for key in message.account_keys]
    _check_instructions(keys, list(message.instructions), memo_of(facts).encode(), field="challenge_id")
    return bytes(message)


def verify_signature(facts: ChallengeFacts, signature: str) -> ProvenSigner:
    """A bare signature (Tangem's ``solana_signTransaction`` answer) over the stored message."""
    raw = parse_signature(signature)
    message = _stored_message(facts)
    try:
        VerifyKey(bytes(Pubkey.from_string(facts.snapshot_address))).verify(message, raw)
    except BadSignatureError:
        raise SignatureMismatchError(f"the signature does not verify for {facts.snapshot_address} over this "
                                     "challenge's unsigned_transaction; sign exactly that transaction with the "
                                     "snapshot address's key", field="signature") from None
    return ProvenSigner(facts.snapshot_address, "solana_tx", {"layout": "signature_only",
                                                              "memo": memo_of(facts), "version": "legacy"})


def verify(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    tx = _parse(signed_transaction)
    message = tx.message
    if facts.unsigned_transaction is not None and to_bytes_versioned(message) == _stored_message(facts):
        return _verify_exact(facts, tx)
    keys = [str(key) for key in message.account_keys]
    if not keys or not tx.signatures or message.header.num_required_signatures < 1:
        raise MalformedSignatureError("signed_transaction has no fee payer signature", field=FIELD)
    if keys[0] != facts.snapshot_address:
        raise SignatureMismatchError(f"the fee payer is {keys[0]}, but the snapshot address is "
                                     f"{facts.snapshot_address}: sign with the snapshot address as fee payer",
                                     field=FIELD)
    expected_memo = memo_of(facts).encode()
    _check_instructions(keys, list(message.instructions), expected_memo)
    try:
        VerifyKey(bytes(message.account_keys[0])).verify(to_bytes_versioned(message), bytes(tx.signatures[0]))
    except BadSignatureError:
        raise SignatureMismatchError(f"the fee payer's signature does not verify for {facts.snapshot_address}; "
                                     "sign the transaction with the snapshot address's key", field=FIELD) from None
    return ProvenSigner(facts.snapshot_address, "solana_tx", {"layout": "rebuilt", "memo": expected_memo.decode(),
                                                              "version": "legacy" if isinstance(message, Message)
                                                              else "v0"})


def _verify_exact(facts: ChallengeFacts, tx: VersionedTransaction) -> ProvenSigner:
    if not tx.signatures:
        raise MalformedSignatureError("signed_transaction has no fee payer signature", field=FIELD)
    try:
        VerifyKey(bytes(tx.message.account_keys[0])).verify(to_bytes_versioned(tx.message), bytes(tx.signatures[0]))
    except BadSignatureError:
        raise SignatureMismatchError(f"the fee payer's signature does not verify for {facts.snapshot_address}; "
                                     "sign the transaction with the snapshot address's key", field=FIELD) from None
    return ProvenSigner(facts.snapshot_address, "solana_tx", {"layout": "exact", "memo": memo_of(facts),
                                                              "version": "legacy"})
