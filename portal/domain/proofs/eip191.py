"""``eip191``: personal_sign of the stored EIP-4361 message by the snapshot address."""

from __future__ import annotations

from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.secp256k1 import eip191_digest, parse_signature, recover_address
from portal.errors import SignatureMismatchError
from snapshot.addresses import to_checksum_address


def require_signer(recovered: bytes, facts: ChallengeFacts) -> str:
    expected = bytes.fromhex(facts.snapshot_address[2:])
    if recovered != expected:
        raise SignatureMismatchError(
            f"signed by {to_checksum_address(recovered)}, but the snapshot address is {facts.snapshot_address}: "
            "sign with the snapshot address's key, exactly the message of this challenge", field="signature")
    return facts.snapshot_address


def verify(facts: ChallengeFacts, signature: str) -> ProvenSigner:
    recovered = recover_address(eip191_digest(facts.message), parse_signature(signature))
    return ProvenSigner(require_signer(recovered, facts), "eip191")
