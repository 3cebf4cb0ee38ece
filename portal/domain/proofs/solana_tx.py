"""``solana_tx``: a signed, never-broadcast Solana transaction carrying the nonce line in a memo.

For wallets that sign transactions but not messages (older Ledger apps, some card wallets). It is
verified offline: the fee payer must be the snapshot key and its ed25519 signature must cover the
serialized message; the only instructions allowed are one Memo (with exactly our nonce line) and
ComputeBudget ones, so the transaction could not move anything even if someone broadcast it. Its
blockhash does not matter.
"""

from __future__ import annotations

import base64
import binascii

import base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from solders.message import to_bytes_versioned
from solders.transaction import Transaction, VersionedTransaction

from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import nonce_line
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

MEMO_PROGRAMS = frozenset({"MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "Memo1UhkJRfHyvLMcVucJwxXeuD88tKUqkVcUx7vG"})
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"
FIELD = "signed_transaction"
MAX_TRANSACTION_BYTES = 1232  # the Solana packet limit


def _decode(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > 4 * MAX_TRANSACTION_BYTES:
        raise MalformedSignatureError("signed_transaction must be base64 or base58", field=FIELD)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base58.b58decode(text)
    except ValueError:
        raise MalformedSignatureError("signed_transaction is neither base64 nor base58", field=FIELD) from None


def _parse(raw: bytes) -> tuple[list[str], list, bytes, bytes]:
    """(account keys, instructions, signed message bytes, fee payer signature)."""
    try:
        tx = Transaction.from_bytes(raw)
        message = tx.message
        signed = bytes(message)
    except Exception:
        try:
            vtx = VersionedTransaction.from_bytes(raw)
        except Exception:
            raise MalformedSignatureError("signed_transaction is not a Solana transaction", field=FIELD) from None
        message, signed, tx = vtx.message, to_bytes_versioned(vtx.message), vtx
    if not tx.signatures:
        raise MalformedSignatureError("signed_transaction carries no signature", field=FIELD)
    return [str(k) for k in message.account_keys], list(message.instructions), signed, bytes(tx.signatures[0])


def verify(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    keys, instructions, signed, fee_payer_signature = _parse(_decode(signed_transaction))
    if not keys or keys[0] != facts.snapshot_address:
        raise SignatureMismatchError(f"the fee payer is {keys[0] if keys else 'missing'}, but the snapshot address "
                                     f"is {facts.snapshot_address}", field=FIELD)
    expected_memo = nonce_line(facts.nonce).encode()
    memos = 0
    for instruction in instructions:
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
        raise UnprocessableError("the transaction must carry exactly one memo with the nonce line", field=FIELD,
                                 code="transaction_mismatch")
    try:
        VerifyKey(bytes(base58.b58decode(facts.snapshot_address))).verify(signed, fee_payer_signature)
    except BadSignatureError:
        raise SignatureMismatchError(f"the fee payer's signature does not verify for {facts.snapshot_address}",
                                     field=FIELD) from None
    return ProvenSigner(facts.snapshot_address, "solana_tx", {"memo": expected_memo.decode()})
