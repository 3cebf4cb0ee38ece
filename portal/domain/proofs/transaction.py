"""``transaction``: for wallets that can only send. A 0-value transaction from the snapshot address to
itself whose calldata is the UTF-8 nonce line, mined successfully with enough confirmations.

Errors, in the order checked: ``tx_hash`` not 0x + 64 hex (400 ``malformed_signature``); unknown to the
node (422 ``transaction_not_found``); sent from another address (422 ``signature_mismatch``, naming
it); other recipient, non-zero value or other calldata (422 ``transaction_mismatch``, saying which);
pending (422 ``not_confirmed``); reverted (422 ``transaction_failed``); fewer than
``min_confirmations`` blocks (422 ``not_confirmed``, with the count); node down (503).
"""

from __future__ import annotations

import re

from portal.domain.proofs.chain import EvmChain, require_chain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import nonce_line
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
FIELD = "tx_hash"


def _mismatch(reason: str) -> UnprocessableError:
    return UnprocessableError(reason, field=FIELD, code="transaction_mismatch")


def _calldata(value: object) -> bytes | None:
    """Input bytes as web3 gives them (HexBytes) or as a raw node answers ("0x..." text)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            return None
    return None


def verify(facts: ChallengeFacts, tx_hash: str, *, node: EvmChain | None, min_confirmations: int) -> ProvenSigner:
    if not isinstance(tx_hash, str) or not TX_HASH.fullmatch(tx_hash):
        raise MalformedSignatureError("tx_hash must be 0x followed by 64 hex digits", field=FIELD)
    chain = require_chain(node)
    tx = chain.get_transaction(tx_hash)
    if tx is None:
        raise UnprocessableError("no such transaction on the configured chain (yet)", field=FIELD,
                                 code="transaction_not_found")
    expected = facts.snapshot_address.lower()
    if str(tx.get("from", "")).lower() != expected:
        raise SignatureMismatchError(f"signed by {tx.get('from')}, but the snapshot address is "
                                     f"{facts.snapshot_address}: send the transaction from the snapshot address",
                                     field=FIELD)
    if str(tx.get("to") or "").lower() != expected:
        raise _mismatch(f"sent to {tx.get('to') or 'no recipient (contract creation)'}; the transaction must be "
                        f"sent to the snapshot address {facts.snapshot_address} itself")
    if int(tx.get("value", 0)) != 0:
        raise _mismatch(f"the transaction moved {int(tx['value'])} wei; it must move no value (value 0)")
    if _calldata(tx.get("input", b"")) != nonce_line(facts.nonce).encode():
        raise _mismatch(f"the calldata must be exactly the UTF-8 text {nonce_line(facts.nonce)!r}")
    receipt = chain.get_receipt(tx_hash)
    if receipt is None or receipt.get("blockNumber") is None:
        raise UnprocessableError(f"the transaction is not mined yet (0 of {min_confirmations} confirmations); "
                                 "try again shortly", field=FIELD, code="not_confirmed",
                                 extra={"confirmations": 0, "required": min_confirmations})
    if int(receipt.get("status", 0)) != 1:
        raise UnprocessableError("the transaction failed (reverted); send a new one", field=FIELD,
                                 code="transaction_failed")
    confirmations = chain.block_number() - int(receipt["blockNumber"]) + 1
    if confirmations < min_confirmations:
        raise UnprocessableError(f"{confirmations} of {min_confirmations} confirmations; try again shortly",
                                 field=FIELD, code="not_confirmed",
                                 extra={"confirmations": confirmations, "required": min_confirmations})
    return ProvenSigner(facts.snapshot_address, "transaction", {"tx_hash": tx_hash.lower(),
                                                                "block": int(receipt["blockNumber"])})
