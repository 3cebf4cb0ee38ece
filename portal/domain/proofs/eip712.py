"""``eip712``: typed data ``MigrationRequest`` signed with eth_signTypedData_v4.

The digest is computed here from the stored typed data (domain separator and struct hash by the
EIP-712 rules for the two fixed shapes of this type), not by a general encoder: it is the hot path,
and the tests check it equals eth-account's ``encode_typed_data`` on the same data. The shapes
differ only in the destination: an EVM ``address``, or the ``string`` of a Solana key (which no
wallet can encode as an address).
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
STRING_DESTINATION_TYPEHASH = keccak(b"MigrationRequest(address snapshotAddress,string destination,string nonce,"
                                     b"uint256 issuedAt,uint256 expiresAt)")
HEX = frozenset("0123456789abcdefABCDEF")


def _word(value: int) -> bytes:
    return value.to_bytes(32)


def _address(text: str) -> bytes:
    if not (len(text) == 42 and text.startswith("0x") and all(c in HEX for c in text[2:])):
        # only typed data stored before Solana destinations became strings: unsignable, so say so
        raise InvalidInputError("this challenge's typed data cannot be signed by any wallet; ask for a new "
                                "challenge", field="challenge_id")
    return bytes.fromhex(text[2:]).rjust(32, b"\0")


def _destination_type(typed_data: dict[str, Any]) -> str:
    """``address`` or ``string``: how the stored typed data declares its destination field."""
    fields = {field["name"]: field["type"] for field in typed_data["types"]["MigrationRequest"]}
    return fields["destination"]


def digest(typed_data: dict[str, Any]) -> bytes:
    domain, message = typed_data["domain"], typed_data["message"]
    separator = keccak(DOMAIN_TYPEHASH + keccak(domain["name"].encode()) + keccak(domain["version"].encode())
                       + _word(domain["chainId"]))
    if _destination_type(typed_data) == "string":
        typehash, destination = STRING_DESTINATION_TYPEHASH, keccak(message["destination"].encode())
    else:
        typehash, destination = REQUEST_TYPEHASH, _address(message["destination"])
    struct = keccak(typehash + _address(message["snapshotAddress"]) + destination
                    + keccak(message["nonce"].encode()) + _word(message["issuedAt"]) + _word(message["expiresAt"]))
    return keccak(b"\x19\x01" + separator + struct)


def verify(facts: ChallengeFacts, signature: str) -> ProvenSigner:
    if facts.typed_data is None:
        raise InvalidInputError("this challenge has no typed data; use its own method", field="challenge_id")
    recovered = recover_address(digest(facts.typed_data), parse_signature(signature))
    return ProvenSigner(require_signer(recovered, facts), "eip712")
