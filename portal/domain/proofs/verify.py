"""One entry point per kind of proof; dispatches on the challenge's method.

Contract of every verifier: input is the ``ChallengeFacts`` the challenge stored plus the one text
the holder submitted; output is the ``ProvenSigner`` (always the snapshot address), or exactly one
``PortalError``: ``MalformedSignatureError`` (400) for text that is no signature / hash /
transaction, checked before any RPC; ``SignatureMismatchError`` (422 ``signature_mismatch``, naming
the signer when it is known); ``UnprocessableError`` (422 ``not_a_contract``, ``transaction_not_found``,
``transaction_mismatch``, ``transaction_failed``, ``not_confirmed``); ``InvalidInputError`` (400) for a
proof of the wrong kind for the challenge's method; ``RpcUnavailableError`` (503) when the EVM node
is unconfigured, unreachable or slow. Expiry and single use are the caller's checks.
The chain-backed methods (``eip1271``, ``transaction``, ``solana_onchain``) block on the node: call them
off the event loop.
"""

from __future__ import annotations

from portal.domain.proofs import eip191, eip712, eip1271, solana, solana_onchain, solana_tx, transaction
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.errors import InvalidInputError


def _wrong_kind(facts: ChallengeFacts, field: str) -> InvalidInputError:
    expected = {"transaction": "tx_hash", "solana_onchain": "tx_hash",
                "solana_tx": "signed_transaction or signature"}.get(facts.method, "signature")
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
    if facts.method == "solana_tx":
        return solana_tx.verify_signature(facts, signature)
    raise _wrong_kind(facts, "signature")


def verify_solana_transaction(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    if facts.method != "solana_tx":
        raise _wrong_kind(facts, "signed_transaction")
    return solana_tx.verify(facts, signed_transaction)


def verify_transaction(facts: ChallengeFacts, tx_hash: str, *, chain: EvmChain | None,
                       min_confirmations: int, solana_chain: SolanaChain | None = None) -> ProvenSigner:
    if facts.method == "solana_onchain":
        return solana_onchain.verify(facts, tx_hash, chain=solana_chain)
    if facts.method != "transaction":
        raise _wrong_kind(facts, "tx_hash")
    return transaction.verify(facts, tx_hash, chain=chain, min_confirmations=min_confirmations)
