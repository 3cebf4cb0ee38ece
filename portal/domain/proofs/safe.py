"""``safe``: a Safe (v1.3.0 or later) proves ownership with its owners' signatures, checked by the Safe itself.

What is read from the node, all at one block: the owners, the threshold, ``VERSION()``, the fallback
handler (storage slot ``keccak256("fallback_manager.handler.address")``, read by the Safe's
``getStorageAt``) and ``domainSeparator()``, which must be the one of the challenge's chain id (a Safe on
chain A is not the same account on chain B; the node itself must answer ``eth_chainId`` with it, else 503
``rpc_wrong_chain``, and the evidence records it). The Safe answers ``isValidSignature`` through its fallback
handler; both magic values are accepted: ``0x1626ba7e`` (``isValidSignature(bytes32,bytes)``) and the
legacy ``0x20c13b0b`` (``isValidSignature(bytes,bytes)``).

The verifier of ``POST /v1/proofs`` takes a whole signature at once: Safe{Wallet}'s ``preparedSignature``,
or ``0x`` for a message the Safe signed on chain (``signedMessages``, through SignMessageLib). Gathering
one owner at a time is ``portal.domain.safe_gather``. Nothing a third party says is trusted: every
proof is the Safe's own answer at a block, and that block is recorded.
"""

from __future__ import annotations

from typing import Any

import msgspec
from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address

from portal.domain.proofs.chain import EvmChain, require_chain, require_chain_id
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.safe_signatures import (
    OwnerSignature,
    parse_all,
    parse_hex,
    safe_message_data,
    safe_message_hash,
)
from portal.domain.proofs.secp256k1 import eip191_digest, keccak
from portal.errors import SignatureMismatchError, UnprocessableError

MAGIC_VALUE = bytes.fromhex("1626ba7e")
LEGACY_MAGIC_VALUE = bytes.fromhex("20c13b0b")
FALLBACK_HANDLER_SLOT = int.from_bytes(keccak(b"fallback_manager.handler.address"))
OLDEST_VERSION = (1, 3, 0)  # the first whose domain separator names the chain id


def _selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


class SafeState(msgspec.Struct, frozen=True):
    """A Safe as the node showed it at ``block``: what reviewers and the audit log see."""

    address: str
    chain_id: int
    block: int
    owners: list[str]
    threshold: int
    version: str
    fallback_handler: str


def _ask(chain: EvmChain, to: str, signature: str, types: list[str], args: list[Any], block: int) -> bytes:
    answer = chain.call(to, _selector(signature) + encode(types, args), block)
    if not answer:
        raise UnprocessableError(f"{to} did not answer {signature.split('(')[0]}() at block {block}: it is not a Safe",
                                 field="address", code="not_a_safe")
    return answer


def read_state(chain: EvmChain, safe: str, chain_id: int, block: int) -> SafeState:
    """The Safe's owners, threshold, version and handler at ``block``; 422 for what cannot prove with ``safe``.
    The caller has checked that the node answers for ``chain_id`` (``require_chain_id``) before it chose ``block``."""
    if not chain.get_code(safe):
        raise UnprocessableError(f"{safe} has no code on this chain: it is not a deployed Safe (a Safe that is not "
                                 "deployed yet signs with EIP-6492: use eip1271)", field="address", code="not_a_safe")
    try:
        owners = [to_checksum_address(o) for o in decode(["address[]"], _ask(chain, safe, "getOwners()", [], [],
                                                                               block))[0]]
        threshold = decode(["uint256"], _ask(chain, safe, "getThreshold()", [], [], block))[0]
        version = decode(["string"], _ask(chain, safe, "VERSION()", [], [], block))[0]
        separator = _ask(chain, safe, "domainSeparator()", [], [], block)[:32]
        slot = decode(["bytes"], _ask(chain, safe, "getStorageAt(uint256,uint256)", ["uint256", "uint256"],
                                      [FALLBACK_HANDLER_SLOT, 1], block))[0]
    except (ValueError, OverflowError, DecodingError) as exc:
        raise UnprocessableError(f"{safe} answered like no Safe at block {block}", field="address",
                                 code="not_a_safe") from exc
    if version_of(version) < OLDEST_VERSION:
        raise UnprocessableError(f"{safe} is a Safe v{version}; the portal checks Safe v1.3.0 and later (older ones "
                                 "do not bind signatures to a chain): use eip1271", field="address",
                                 code="unsupported_safe_version")
    expected = keccak(keccak(b"EIP712Domain(uint256 chainId,address verifyingContract)")
                      + chain_id.to_bytes(32, "big") + bytes(12) + bytes.fromhex(safe[2:]))
    if separator != expected:
        raise UnprocessableError(f"the Safe {safe} on the node's chain is not the one on chain {chain_id}: a Safe is "
                                 "one account on one chain only", field="address", code="wrong_chain")
    handler = to_checksum_address(bytes(slot)[-20:].rjust(20, b"\0"))
    if int(handler, 16) == 0:
        raise UnprocessableError(f"the Safe {safe} has no fallback handler, so it cannot answer isValidSignature; "
                                 "set the CompatibilityFallbackHandler in Safe{Wallet} settings", field="address",
                                 code="no_fallback_handler")
    return SafeState(safe, chain_id, block, owners, int(threshold), version, handler)


def safe_accepts(chain: EvmChain, safe: str, digest: bytes, blob: bytes, block: int) -> bytes | None:
    """The magic value the Safe answered for ``blob`` over ``digest`` at ``block`` (either kind), or ``None``."""
    answer = chain.call(safe, _selector("isValidSignature(bytes32,bytes)") + encode(["bytes32", "bytes"],
                                                                                     [digest, blob]), block)
    if answer and answer[:4] == MAGIC_VALUE:
        return MAGIC_VALUE
    legacy = chain.call(safe, _selector("isValidSignature(bytes,bytes)") + encode(["bytes", "bytes"], [digest, blob]),
                        block)
    return LEGACY_MAGIC_VALUE if legacy and legacy[:4] == LEGACY_MAGIC_VALUE else None


def version_of(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("+")[0].split("."))
    except ValueError:
        return (0,)


def contract_owner_accepts(chain: EvmChain, state: SafeState, owner: str, digest: bytes, signature: bytes) -> bool:
    """What the Safe asks a contract owner (``checkSignatures``): legacy ``isValidSignature(bytes data, bytes)``,
    ``data`` being the message (v1.3) or the EIP-712 encoded SafeMessage (v1.4 on), at the recorded block."""
    data = (safe_message_data(state.chain_id, state.address, digest) if version_of(state.version) >= (1, 4)
            else digest)
    answer = chain.call(owner, _selector("isValidSignature(bytes,bytes)") + encode(["bytes", "bytes"],
                                                                                    [data, signature]), state.block)
    return bool(answer) and answer[:4] == LEGACY_MAGIC_VALUE


def hash_approved(chain: EvmChain, safe: str, owner: str, safe_hash: bytes, block: int) -> bool:
    answer = chain.call(safe, _selector("approvedHashes(address,bytes32)") + encode(["address", "bytes32"],
                                                                                     [owner, safe_hash]), block)
    return bool(answer) and any(answer)


def evidence(state: SafeState, digest: bytes, signers: list[OwnerSignature], signed: str, magic: bytes,
             checked_at_block: int) -> dict[str, Any]:
    """What reviewers see and the audit log keeps: the Safe at the recorded block, who signed, how, where checked."""
    return {"contract_wallet": True, "chain_id": state.chain_id, "safe": {
        **msgspec.structs.asdict(state), "message_hash": "0x" + digest.hex(),
        "safe_message_hash": "0x" + safe_message_hash(state.chain_id, state.address, digest).hex(),
        "signed": signed, "signers": [{"owner": s.owner, "kind": s.kind} for s in signers],
        "accepted_magic_value": "0x" + magic.hex(), "checked_at_block": checked_at_block}}


def verify(facts: ChallengeFacts, text: str, *, node: EvmChain | None) -> ProvenSigner:
    """A whole Safe signature at the latest block: ``0x`` (signed on chain) or a ``preparedSignature``."""
    blob = parse_hex(text, max_bytes=65 * 64 + 4096)
    chain = require_chain(node)
    require_chain_id(chain, facts.chain_id)
    block = chain.block_number()
    state = read_state(chain, facts.snapshot_address, facts.chain_id, block)
    digest = eip191_digest(facts.message)
    signers: list[OwnerSignature] = []
    if blob:
        signers = parse_all(blob, safe_message_hash(facts.chain_id, state.address, digest), state.threshold)
        strangers = [s.owner for s in signers if s.owner not in state.owners]
        if strangers:
            raise SignatureMismatchError(f"{', '.join(strangers)} is not an owner of the Safe {state.address} at block "
                                         f"{block}", field="signature")
        if len({s.owner for s in signers}) != len(signers):
            raise SignatureMismatchError("the same owner signed twice; each owner counts once", field="signature")
    magic = safe_accepts(chain, state.address, digest, blob, block)
    if magic is None:
        what = "this signature" if blob else "a message it signed on chain (signedMessages is not set for it)"
        raise SignatureMismatchError(f"the Safe {state.address} did not accept {what} at block {block}",
                                     field="signature")
    return ProvenSigner(state.address, "safe", evidence(state, digest, signers,
                                                        "prepared_signature" if blob else "on_chain", magic, block))
