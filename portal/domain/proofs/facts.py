"""What a challenge stored, and what a verifier proved."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

MessageStyle = Literal["standard", "one_line"]
DestinationChain = Literal["evm", "solana"]


class ChallengeFacts(msgspec.Struct, frozen=True):
    """What a challenge stored: the verifiers check proofs against these, never against client text.

    ``snapshot_address`` is canonical text (EIP-55 for EVM, base58 for Solana); ``message`` is the
    exact text shown to the holder; ``typed_data`` the exact EIP-712 JSON (``eip712`` only);
    ``unsigned_transaction`` the base64 legacy transaction handed out (``solana_tx`` only).
    ``method`` is a name of ``registry.METHODS`` (typed ``str`` here: the registry imports the
    verifiers, which import these facts).
    """

    method: str
    chain: Literal["evm", "solana"]
    snapshot_address: str
    destination: str
    nonce: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    message: str
    typed_data: dict[str, Any] | None
    chain_id: int
    unsigned_transaction: str | None = None
    destination_chain: DestinationChain = "evm"


class ProvenSigner(msgspec.Struct, frozen=True):
    """The address a proof proved, by which method, with evidence for reviewers (layout, tx hash...)."""

    address: str
    method: str
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
