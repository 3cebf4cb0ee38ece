"""Challenge facts for the verifier tests, built by the real message builders (what the challenge
service stores). A uniquely named module, not conftest, so tests can import it unambiguously."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.domain.proofs.facts import ChallengeFacts
from portal.domain.proofs.messages import MessageFields, build_evm_message, build_solana_message, build_typed_data

HOST = "portal.example.org"
PUBLIC_URL = "https://portal.example.org"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=15)
DESTINATION = "0x1111111111111111111111111111111111111111"
OTHER_DESTINATION = "0x2222222222222222222222222222222222222222"
CHAIN_ID = 1
TESTER_CHAIN_ID = 131277322940537  # eth-tester's own chain id (``EthereumTesterProvider``'s eth_chainId)
CONTRACTS = Path(__file__).resolve().parents[3] / "portal" / "domain" / "proofs" / "contracts"


def evm_facts(method: str, address: str, *, destination: str = DESTINATION, nonce: str = "ab" * 16,
              request_id: str = "req-1", chain_id: int = CHAIN_ID) -> ChallengeFacts:
    """What the challenge service stores for an EVM holder, built by the real builders."""
    fields = MessageFields(domain=HOST, address=address, destination=destination, chain_id=chain_id, nonce=nonce,
                           issued_at=NOW, expires_at=LATER, request_id=request_id)
    message = build_evm_message(fields, uri=PUBLIC_URL)
    typed = build_typed_data(fields) if method == "eip712" else None
    return ChallengeFacts(method, "evm", address, destination, nonce, NOW, LATER, message, typed,  # type: ignore[arg-type]
                          chain_id)


def solana_facts(method: str, address: str, *, destination: str = DESTINATION, nonce: str = "cd" * 16,
                 request_id: str = "req-2") -> ChallengeFacts:
    message = build_solana_message(MessageFields(domain=HOST, address=address, destination=destination, nonce=nonce,
                                                 issued_at=NOW, expires_at=LATER, request_id=request_id),
                                   uri=PUBLIC_URL)
    return ChallengeFacts(method, "solana", address, destination, nonce, NOW, LATER, message, None,  # type: ignore[arg-type]
                          CHAIN_ID)
