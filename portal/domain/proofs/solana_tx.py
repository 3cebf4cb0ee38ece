"""``solana_tx``: a signed, never-broadcast Solana transaction carrying the nonce line in a memo.

For wallets that sign transactions but not messages (older Ledger apps, some card wallets). It is
verified offline: the fee payer must be the snapshot key and its ed25519 signature must cover the
serialized message; the only instructions allowed are one Memo (with exactly our nonce line) and
ComputeBudget ones, so the transaction could not move anything even if someone broadcast it. Its
blockhash does not matter. Legacy and v0 messages are accepted; the text may be base64 or base58
(both readings are tried, since a base58 text can also be valid base64).
"""

from __future__ import annotations

import base64
import binascii

import base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from solders.instruction import CompiledInstruction
from solders.message import Message, to_bytes_versioned
from solders.transaction import VersionedTransaction

from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import nonce_line
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

MEMO_PROGRAMS = frozenset({
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",  # SPL Memo v2
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",  # SPL Memo v1 (legacy)
})
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"
FIELD = "signed_transaction"
MAX_TRANSACTION_BYTES = 1232  # the Solana packet limit


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


def _check_instructions(keys: list[str], instructions: list[CompiledInstruction], expected_memo: bytes) -> None:
    memos = 0
    for instruction in instructions:
        if instruction.program_id_index >= len(keys):  # a program id can never come from a lookup table
            raise UnprocessableError("an instruction's program is not among the transaction's accounts",
                                     field=FIELD, code="transaction_mismatch")
        program = keys[instruction.program_id_index]
        if program in MEMO_PROGRAMS:
            if bytes(instruction.data) != expected_memo:
                raise UnprocessableError(f"the memo must be exactly {expected_memo.decode()!r}", field=FIELD,
                                         code="transaction_mismatch")
            memos += 1
        elif program != COMPUTE_BUDGET:
            raise UnprocessableError(f"only a memo (and compute-budget) instruction is allowed, found {program}",
                                     field=FIELD, code="transaction_mismatch")
    if memos != 1:
        raise UnprocessableError(f"the transaction must carry exactly one memo instruction with "
                                 f"{expected_memo.decode()!r}, found {memos}", field=FIELD, code="transaction_mismatch")


def verify(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    tx = _parse(signed_transaction)
    message = tx.message
    keys = [str(key) for key in message.account_keys]
    if not keys or not tx.signatures or message.header.num_required_signatures < 1:
        raise MalformedSignatureError("signed_transaction has no fee payer signature", field=FIELD)
    if keys[0] != facts.snapshot_address:
        raise SignatureMismatchError(f"the fee payer is {keys[0]}, but the snapshot address is "
                                     f"{facts.snapshot_address}: sign with the snapshot address as fee payer",
                                     field=FIELD)
    expected_memo = nonce_line(facts.nonce).encode()
    _check_instructions(keys, list(message.instructions), expected_memo)
    try:
        VerifyKey(bytes(message.account_keys[0])).verify(to_bytes_versioned(message), bytes(tx.signatures[0]))
    except BadSignatureError:
        raise SignatureMismatchError(f"the fee payer's signature does not verify for {facts.snapshot_address}; "
                                     "sign the transaction with the snapshot address's key", field=FIELD) from None
    return ProvenSigner(facts.snapshot_address, "solana_tx", {"memo": expected_memo.decode(),
                                                              "version": "legacy" if isinstance(message, Message)
                                                              else "v0"})
