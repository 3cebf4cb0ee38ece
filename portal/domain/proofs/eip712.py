"""``eip712``: typed data ``MigrationRequest`` signed with eth_signTypedData_v4.

The digest is computed here from the stored typed data (domain separator and struct hash by the
EIP-712 rules for this one fixed type), not by a general encoder: it is the hot path, and the
tests check it equals eth-account's ``encode_typed_data`` on the same data.
"""

from __future__ import annotations

from typing import Any

from portal.domain.proofs.eip191 import require_signer
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.secp256k1 import keccak, parse_signature, recover_address
from portal.errors import InvalidInputError

DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId)")
REQUEST_TYPEHASH = keccak(b"MigrationRequest(address snapshotAddress,address destination,string nonce,"
                          b"uint256 issuedAt,uint256 expiresAt)")


def _word(value: int) -> bytes:
    return value.to_bytes(32)


def _address(text: str) -> bytes:
    return bytes.fromhex(text[2:]).rjust(32, b"\0")


def digest(typed_data: dict[str, Any]) -> bytes:
    domain, message = typed_data["domain"], typed_data["message"]
    separator = keccak(DOMAIN_TYPEHASH + keccak(domain["name"].encode()) + keccak(domain["version"].encode())
                       + _word(domain["chainId"]))
    struct = keccak(REQUEST_TYPEHASH + _address(message["snapshotAddress"]) + _address(message["destination"])
                    + keccak(message["nonce"].encode()) + _word(message["issuedAt"]) + _word(message["expiresAt"]))
    return keccak(b"\x19\x01" + separator + struct)


def verify(facts: ChallengeFacts, signature: str) -> ProvenSigner:
    if facts.typed_data is None:
        raise InvalidInputError("this challenge has no typed data; use its own method", field="challenge_id")
    recovered = recover_address(digest(facts.typed_data), parse_signature(signature))
    return ProvenSigner(require_signer(recovered, facts), "eip712")
