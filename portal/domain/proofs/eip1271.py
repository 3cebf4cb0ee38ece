"""``eip1271``: the snapshot address is a contract wallet (a Safe, say) that validates signatures.

The wallet is asked on chain: ``isValidSignature(bytes32 hash, bytes signature)`` with the EIP-191
digest of the stored message (what a Safe's owners sign for personal_sign) must return the magic
value ``0x1626ba7e``. A signature with the EIP-6492 suffix (an account not deployed yet, or one
that signed before it was) is checked by ``eip6492`` in one deployless call instead.

A contract wallet is one account on one chain: the node must answer for the challenge's chain id
(``eth_chainId``, asked before anything else; another one is 503 ``rpc_wrong_chain``), and the evidence
records that ``chain_id``, which keeps the request to releases of that chain.
"""

from __future__ import annotations

import re

from portal.domain.proofs import eip6492
from portal.domain.proofs.chain import EvmChain, require_chain, require_chain_id
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.secp256k1 import eip191_digest
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

HEX_BYTES = re.compile(r"(?:[0-9a-fA-F]{2})*")
MAGIC_VALUE = bytes.fromhex("1626ba7e")
MAX_SIGNATURE_BYTES = 4096  # a Safe's concatenated owner signatures fit easily


def verify(facts: ChallengeFacts, signature: str, *, node: EvmChain | None) -> ProvenSigner:
    if not isinstance(signature, str) or len(signature) > 2 + 2 * MAX_SIGNATURE_BYTES:
        raise MalformedSignatureError("signature must be hex of 1 to 4096 bytes", field="signature")
    digits = signature[2:] if signature[:2] in ("0x", "0X") else signature
    if not HEX_BYTES.fullmatch(digits):
        raise MalformedSignatureError("signature is not hex (an even number of 0-9a-f digits)", field="signature")
    raw = bytes.fromhex(digits)
    if not raw or len(raw) > MAX_SIGNATURE_BYTES:
        raise MalformedSignatureError("signature must be 1 to 4096 bytes", field="signature")
    if eip6492.is_wrapped(raw):
        factory = eip6492.unwrap(raw)[0]
        chain = require_chain(node)
        require_chain_id(chain, facts.chain_id)
        return _verify_wrapped(facts, raw, factory, chain)
    chain = require_chain(node)
    require_chain_id(chain, facts.chain_id)
    if not chain.get_code(facts.snapshot_address):
        raise UnprocessableError(f"{facts.snapshot_address} is not a contract wallet; use eip191 instead",
                                 field="challenge_id", code="not_a_contract")
    answer = chain.call_is_valid_signature(facts.snapshot_address, eip191_digest(facts.message), raw)
    if answer[:4] != MAGIC_VALUE:
        raise SignatureMismatchError(f"the contract wallet {facts.snapshot_address} did not accept this signature "
                                     f"(isValidSignature returned 0x{answer.hex() or 'nothing'})", field="signature")
    return ProvenSigner(facts.snapshot_address, "eip1271", {"contract_wallet": True, "chain_id": facts.chain_id})


def _verify_wrapped(facts: ChallengeFacts, raw: bytes, factory: str, chain: EvmChain) -> ProvenSigner:
    """An EIP-6492 signature (already unwrapped once, so garbage was a 400): one deployless ``eth_call``."""
    deployed = bool(chain.get_code(facts.snapshot_address))
    if not eip6492.is_valid(chain, facts.snapshot_address, eip191_digest(facts.message), raw):
        raise SignatureMismatchError(f"the account {facts.snapshot_address} did not accept this EIP-6492 signature "
                                     f"(deployed through {factory}, then asked by isValidSignature)", field="signature")
    return ProvenSigner(facts.snapshot_address, "eip1271", {"contract_wallet": True, "chain_id": facts.chain_id,
                                                            "eip6492": True, "deployed_when_checked": deployed,
                                                            "factory": factory})
