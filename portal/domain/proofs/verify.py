"""One entry point per kind of proof; dispatches on the challenge's method."""

from __future__ import annotations

from portal.domain.proofs import eip191, eip712, eip1271, solana, solana_tx, transaction
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.errors import InvalidInputError


def _wrong_kind(facts: ChallengeFacts, field: str) -> InvalidInputError:
    expected = {"transaction": "tx_hash", "solana_tx": "signed_transaction"}.get(facts.method, "signature")
    return InvalidInputError(f"a {facts.method} challenge is answered with {expected}, not {field}", field=field)


def verify_signature(facts: ChallengeFacts, signature: str, *, chain: EvmChain | None = None,
                     app_domain: bytes = b"\0" * 32) -> ProvenSigner:
    if facts.method == "eip191":
        return eip191.verify(facts, signature)
    if facts.method == "eip712":
        return eip712.verify(facts, signature)
    if facts.method == "solana":
        return solana.verify(facts, signature, app_domain=app_domain)
    if facts.method == "eip1271":
        return eip1271.verify(facts, signature, chain=chain)
    raise _wrong_kind(facts, "signature")


def verify_solana_transaction(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    if facts.method != "solana_tx":
        raise _wrong_kind(facts, "signed_transaction")
    return solana_tx.verify(facts, signed_transaction)


def verify_transaction(facts: ChallengeFacts, tx_hash: str, *, chain: EvmChain | None,
                       min_confirmations: int) -> ProvenSigner:
    if facts.method != "transaction":
        raise _wrong_kind(facts, "tx_hash")
    return transaction.verify(facts, tx_hash, chain=chain, min_confirmations=min_confirmations)
