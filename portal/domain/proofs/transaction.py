"""``transaction``: for wallets that can only send. A 0-value transaction from the snapshot address to
itself whose calldata is the UTF-8 nonce line, mined successfully with enough confirmations."""

from __future__ import annotations

import re

from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import nonce_line
from portal.errors import MalformedSignatureError, UnprocessableError

TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
FIELD = "tx_hash"


def _mismatch(reason: str) -> UnprocessableError:
    return UnprocessableError(reason, field=FIELD, code="transaction_mismatch")


def verify(facts: ChallengeFacts, tx_hash: str, *, chain: EvmChain, min_confirmations: int) -> ProvenSigner:
    if not isinstance(tx_hash, str) or not TX_HASH.match(tx_hash):
        raise MalformedSignatureError("tx_hash must be 0x followed by 64 hex digits", field=FIELD)
    tx = chain.get_transaction(tx_hash)
    if tx is None:
        raise UnprocessableError("no such transaction on the configured chain (yet)", field=FIELD,
                                 code="transaction_not_found")
    expected = facts.snapshot_address.lower()
    if str(tx.get("from", "")).lower() != expected:
        raise _mismatch(f"sent from {tx.get('from')}, but the snapshot address is {facts.snapshot_address}")
    if str(tx.get("to") or "").lower() != expected:
        raise _mismatch("the transaction must be sent to the snapshot address itself")
    if int(tx.get("value", 0)) != 0:
        raise _mismatch("the transaction must move no value (value 0)")
    data = tx.get("input", b"")
    data = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
    if data != nonce_line(facts.nonce).encode():
        raise _mismatch(f"the calldata must be exactly the UTF-8 text {nonce_line(facts.nonce)!r}")
    receipt = chain.get_receipt(tx_hash)
    if receipt is None or receipt.get("blockNumber") is None:
        raise UnprocessableError("the transaction is not mined yet", field=FIELD, code="not_confirmed")
    if int(receipt.get("status", 0)) != 1:
        raise _mismatch("the transaction failed (reverted)")
    confirmations = chain.block_number() - int(receipt["blockNumber"]) + 1
    if confirmations < min_confirmations:
        raise UnprocessableError(f"{confirmations} of {min_confirmations} confirmations; try again shortly",
                                 field=FIELD, code="not_confirmed")
    return ProvenSigner(facts.snapshot_address, "transaction", {"tx_hash": tx_hash.lower(),
                                                                "block": int(receipt["blockNumber"])})
