"""EIP-6492: signatures of contract accounts that are not deployed yet (``0x…6492…6492``).

An ERC-4337 account (Coinbase Smart Wallet, a counterfactual Safe) signs before its first transaction:
it wraps its ERC-1271 signature as ``abi.encode(factory, factoryCalldata, innerSignature) ‖ 0x6492…6492``.
The portal checks such a signature in one deployless ``eth_call``: the init code of the EIP's reference
``ValidateSigOffchain`` (``contracts/UniversalSigValidator.sol``, compiled into
``contracts/ValidateSigOffchain.json``, checked against ``VALIDATOR_SHA256`` when loaded) with the
constructor arguments ``(signer, hash, signature)``. Inside that call, in the order the EIP requires:
the wrapper (deploy through the factory when there is no code yet), then ERC-1271 on the (now) deployed
code, then ecrecover. The call answers one byte, ``0x01`` when the signature is valid. Nothing is sent.

Invariants: a wrapped signature that does not decode is a 400 before any RPC; the evidence records
whether the account was deployed when it was checked (``deployed``) and the factory named by the wrapper.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address

from portal.domain.proofs.chain import EvmChain
from portal.errors import MalformedSignatureError

SUFFIX = bytes.fromhex("6492" * 16)
VALIDATOR_JSON = Path(__file__).with_name("contracts") / "ValidateSigOffchain.json"
VALIDATOR_SHA256 = "4a2a695e669806f9cd6d1a651905c0c8664304b00e21228890178da712551c43"  # of the init code bytes


def is_wrapped(signature: bytes) -> bool:
    return len(signature) > len(SUFFIX) and signature.endswith(SUFFIX)


def unwrap(signature: bytes) -> tuple[str, bytes, bytes]:
    """``(factory, factory_calldata, inner_signature)`` of a wrapped signature; 400 when it does not decode."""
    try:
        factory, calldata, inner = decode(["address", "bytes", "bytes"], signature[:-len(SUFFIX)])
    except (DecodingError, OverflowError, ValueError) as exc:
        raise MalformedSignatureError("signature ends with the EIP-6492 suffix but is not "
                                      "abi.encode(address factory, bytes calldata, bytes signature)",
                                      field="signature") from exc
    return to_checksum_address(factory), bytes(calldata), bytes(inner)


@cache
def validator_init_code() -> bytes:
    """The committed ``ValidateSigOffchain`` creation code, refused if it is not the reviewed bytes."""
    code = bytes.fromhex(json.loads(VALIDATOR_JSON.read_text())["bytecode"].removeprefix("0x"))
    if hashlib.sha256(code).hexdigest() != VALIDATOR_SHA256:
        raise RuntimeError(f"{VALIDATOR_JSON} is not the reviewed ValidateSigOffchain bytecode")
    return code


def is_valid(chain: EvmChain, signer: str, digest: bytes, signature: bytes, block: int | None = None) -> bool:
    """One deployless ``eth_call``: does ``signature`` (wrapped or not) speak for ``signer`` over ``digest``?
    A revert inside the validator (the factory failed, the wallet reverted) is a no."""
    arguments = encode(["address", "bytes32", "bytes"], [to_checksum_address(signer), digest, signature])
    answer = chain.call(None, validator_init_code() + arguments, block)
    return answer == b"\x01"
