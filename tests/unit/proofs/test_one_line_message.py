"""The ``one_line`` Solana challenge: one printable-ASCII line that fits Solana off-chain message
format 0 for the spec's header layout, for the longest fields a valid configuration allows; and
signatures over it (plain, and every accepted envelope) verify."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey
from proof_facts import HOST, LATER, NOW
from solders.keypair import Keypair

from portal.domain.proofs import messages, solana
from portal.domain.proofs.facts import ChallengeFacts
from portal.settings import MAX_EVM_CHAIN_ID, MAX_PUBLIC_URL_CHARS
from snapshot.addresses import b58encode

HOLDER = Keypair.from_seed(b"\x71" * 32)
EVM_DESTINATION = "0x1111111111111111111111111111111111111111"
SOLANA_DESTINATION = "8XmKW2gqxGRoNyV5itQmNfrs5h1MU3vMpgpkK4q2nJhD"
REQUEST_ID = "4b0a6c58-7f0c-4b8e-9a53-0d9f8a1c2e11"


def line(**overrides: object) -> str:
    fields: dict[str, object] = {
        "domain": HOST, "address": str(HOLDER.pubkey()), "destination": EVM_DESTINATION, "nonce": "ab" * 16,
        "issued_at": NOW, "expires_at": LATER, "request_id": REQUEST_ID, "destination_chain": "evm", "chain_id": 1}
    return messages.build_solana_one_line(messages.MessageFields(**{**fields, **overrides}))  # type: ignore[arg-type]


def test_the_limit_is_computed_from_the_spec_header_layout() -> None:
    # signing domain 16 + version 1 + application domain 32 + format 1 + signer count 1 + 32 per signer
    # + length 2 = 85 for one signer; PACKET_DATA_SIZE = 1280 - 40 - 8 = 1232
    assert solana.PACKET_DATA_SIZE == 1232
    assert solana.preamble_bytes("v0", signer_count=1) == 85
    assert solana.preamble_bytes("v0", signer_count=2) == 117
    assert solana.preamble_bytes("v0_legacy") == 20
    assert solana.format0_max_body_bytes("v0") == 1147  # solana-sdk's v0::MAX_MESSAGE_LENGTH_LEDGER
    assert solana.format0_max_body_bytes("v0_legacy") == 1212
    assert solana.FORMAT0_MAX_BODY_BYTES == 1147
    with pytest.raises(ValueError):
        solana.preamble_bytes("v1")


def test_the_line_binds_every_fact_in_format_0() -> None:
    text = line()
    raw = text.encode()
    assert solana.is_restricted_ascii(raw) and "\n" not in text
    for fact in (HOST, str(HOLDER.pubkey()), EVM_DESTINATION, "EVM chain 1", "(eip155:1)", "ab" * 16,
                 "Issued At: 2026-11-24T12:00:00Z", "Expiration Time: 2026-11-24T12:15:00Z", REQUEST_ID,
                 "never asks for funds, seed phrases"):
        assert fact in text
    assert solana.allowed_formats(raw)[0] == 0


def test_a_solana_destination_is_named_as_such() -> None:
    text = line(destination=SOLANA_DESTINATION, destination_chain="solana")
    assert f"sent to {SOLANA_DESTINATION} on Solana (solana:mainnet)" in text


def test_the_longest_fields_a_configuration_allows_still_fit() -> None:
    longest_host = "a" * (MAX_PUBLIC_URL_CHARS - len("https://"))
    longest_solana = b58encode(b"\xff" * 32)  # 44 characters
    text = line(domain=longest_host, address=longest_solana, destination=longest_solana, destination_chain="evm",
                chain_id=MAX_EVM_CHAIN_ID, nonce="f" * 64, issued_at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
                expires_at=dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC), request_id=REQUEST_ID)
    assert len(longest_solana) == 44
    assert len(text.encode()) <= solana.FORMAT0_MAX_BODY_BYTES
    envelope = dict(solana.envelopes(text.encode(), bytes(HOLDER.pubkey()), messages.application_domain(longest_host)))
    assert len(envelope["offchain_v0"]) <= solana.PACKET_DATA_SIZE


@pytest.mark.parametrize("domain", ["pörtal.example", 'evil".example', "a$b.example", "x" * 2000])
def test_fields_that_would_break_format_0_are_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="one-line"):
        line(domain=domain)


@given(st.sampled_from(["plain", "offchain_v0", "offchain_v0:zero_domain", "offchain_v0_legacy"]),
       st.binary(min_size=32, max_size=32))
def test_plain_and_envelope_signatures_over_the_line_verify(layout: str, seed: bytes) -> None:
    keypair = Keypair.from_seed(seed)
    text = line(address=str(keypair.pubkey()))
    app_domain = messages.application_domain(HOST)
    signed = text.encode() if layout == "plain" else dict(solana.envelopes(text.encode(), bytes(keypair.pubkey()),
                                                                           app_domain))[layout]
    facts = ChallengeFacts("solana", "solana", str(keypair.pubkey()), EVM_DESTINATION, "ab" * 16, NOW, LATER, text,
                           None, 1)
    signature = SigningKey(seed).sign(signed).signature
    assert solana.verify(facts, signature.hex(), app_domain=app_domain).detail == {"layout": layout}
