"""One entry point for every kind of proof; dispatches through the registry on the challenge's method.

Contract of every verifier: input is the ``ChallengeFacts`` the challenge stored plus the one text
the holder submitted; output is the ``ProvenSigner`` (always the snapshot address), or exactly one
``PortalError``: ``MalformedSignatureError`` (400) for text that is no signature / hash /
transaction, checked before any RPC; ``SignatureMismatchError`` (422 ``signature_mismatch``, naming
the signer when it is known); ``UnprocessableError`` (422 ``not_a_contract``, ``transaction_not_found``,
``transaction_mismatch``, ``transaction_failed``, ``not_confirmed``); ``InvalidInputError`` (400) for a
proof of the wrong kind for the challenge's method; ``RpcUnavailableError`` (503) when the node is
unconfigured, unreachable or slow. Expiry and single use are the caller's checks.
The methods whose registry entry names a ``node`` block on it: call them off the event loop.
"""

from __future__ import annotations

from portal.domain.proofs import registry
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.registry import ProofField, VerifyEnv
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.errors import InvalidInputError


def verify(facts: ChallengeFacts, proof_field: ProofField, text: str, env: VerifyEnv) -> ProvenSigner:
    """The signer ``text`` proves, as the ``proof_field`` of ``facts``'s method; a 400 for a field the method
    does not take."""
    method = registry.method(facts.method)
    verifier = method.verifiers.get(proof_field)
    if verifier is None:
        expected = " or ".join(method.proof_fields)
        raise InvalidInputError(f"a {facts.method} challenge is answered with {expected}, not {proof_field}",
                                field=proof_field)
    return verifier(facts, text, env)


def verify_signature(facts: ChallengeFacts, signature: str, *, evm_node: EvmChain | None = None,
                     app_domain: bytes = b"\0" * 32) -> ProvenSigner:
    return verify(facts, "signature", signature, VerifyEnv(evm_node=evm_node, app_domain=app_domain))


def verify_solana_transaction(facts: ChallengeFacts, signed_transaction: str) -> ProvenSigner:
    return verify(facts, "signed_transaction", signed_transaction, VerifyEnv())


def verify_transaction(facts: ChallengeFacts, tx_hash: str, *, evm_node: EvmChain | None, min_confirmations: int,
                       solana_node: SolanaChain | None = None) -> ProvenSigner:
    return verify(facts, "tx_hash", tx_hash, VerifyEnv(evm_node, solana_node, min_confirmations))
