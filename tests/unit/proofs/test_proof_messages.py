"""Challenge messages: EIP-4361 text line by line, its CAIP-122 Solana form, EIP-712 JSON as
eth_signTypedData_v4 takes it, the nonce line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from proof_facts import CHAIN_ID, DESTINATION, HOST, LATER, NOW, PUBLIC_URL

from portal.domain.proofs import messages

EVM_HOLDER = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
SOLANA_HOLDER = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"
REQUEST_ID = "4b0a6c58-7f0c-4b8e-9a53-0d9f8a1c2e11"


def evm_message() -> str:
    return messages.build_evm_message(messages.MessageFields(
        domain=HOST, address=EVM_HOLDER, destination=DESTINATION, chain_id=CHAIN_ID, nonce="ab" * 16, issued_at=NOW,
        expires_at=LATER, request_id=REQUEST_ID), uri=PUBLIC_URL)


def test_evm_message_is_eip4361_line_by_line() -> None:
    lines = evm_message().split("\n")
    assert lines[0] == f"{HOST} wants you to sign in with your Ethereum account:"
    assert lines[1] == EVM_HOLDER
    assert lines[2] == "" and lines[4] == ""
    assert "\n" not in lines[3] and DESTINATION in lines[3]
    assert lines[5:] == [f"URI: {PUBLIC_URL}", "Version: 1", "Chain ID: 1", f"Nonce: {'ab' * 16}",
                         "Issued At: 2026-11-24T12:00:00Z", "Expiration Time: 2026-11-24T12:15:00Z",
                         f"Request ID: {REQUEST_ID}", "Resources:", f"- eip155:1:{DESTINATION}"]


def test_statement_names_the_destination_and_warns_about_support() -> None:
    statement = evm_message().split("\n")[3]
    assert f"sent to {DESTINATION}" in statement
    for words in ("never asks for funds", "seed phrases", "never DMs"):
        assert words in statement


def test_solana_message_is_the_caip122_form() -> None:
    text = messages.build_solana_message(messages.MessageFields(
        domain=HOST, address=SOLANA_HOLDER, destination=DESTINATION, nonce="cd" * 16, issued_at=NOW, expires_at=LATER,
        request_id=REQUEST_ID), uri=PUBLIC_URL)
    lines = text.split("\n")
    assert lines[0] == f"{HOST} wants you to sign in with your Solana account:"
    assert lines[1] == SOLANA_HOLDER
    assert "Chain ID: mainnet" in lines and f"Nonce: {'cd' * 16}" in lines
    assert lines[-1] == f"- eip155:1:{DESTINATION}"


def test_times_are_utc_whatever_the_input_zone() -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    text = messages.build_evm_message(messages.MessageFields(
        domain=HOST, address=EVM_HOLDER, destination=DESTINATION, chain_id=CHAIN_ID, nonce="ab" * 16,
        issued_at=NOW.astimezone(eastern), expires_at=LATER, request_id=REQUEST_ID), uri=PUBLIC_URL)
    assert text == evm_message()


@pytest.mark.parametrize("nonce", ["short", "ab cd efgh", "nonce-with-dash", "ü" * 10])
def test_nonce_must_be_an_eip4361_nonce(nonce: str) -> None:
    with pytest.raises(ValueError, match="nonce"):
        messages.build_evm_message(messages.MessageFields(
            domain=HOST, address=EVM_HOLDER, destination=DESTINATION, chain_id=CHAIN_ID, nonce=nonce, issued_at=NOW,
            expires_at=LATER, request_id=REQUEST_ID), uri=PUBLIC_URL)


def test_typed_data_is_complete_eth_sign_typed_data_v4_json() -> None:
    typed = messages.build_typed_data(messages.MessageFields(
        domain=HOST, address=EVM_HOLDER, destination=DESTINATION, nonce="ab" * 16, issued_at=NOW, expires_at=LATER,
        chain_id=CHAIN_ID))
    assert json.loads(json.dumps(typed)) == typed
    assert set(typed) == {"types", "primaryType", "domain", "message"}
    assert typed["primaryType"] == "MigrationRequest"
    assert [field["name"] for field in typed["types"]["EIP712Domain"]] == ["name", "version", "chainId"]
    assert [(f["name"], f["type"]) for f in typed["types"]["MigrationRequest"]] == [
        ("snapshotAddress", "address"), ("destination", "address"), ("nonce", "string"), ("issuedAt", "uint256"),
        ("expiresAt", "uint256")]
    assert typed["domain"] == {"name": "migration-portal", "version": "1", "chainId": 1}
    assert typed["message"] == {"snapshotAddress": EVM_HOLDER, "destination": DESTINATION, "nonce": "ab" * 16,
                                "issuedAt": int(NOW.timestamp()), "expiresAt": int(LATER.timestamp())}


def test_nonce_line_and_application_domain() -> None:
    assert messages.nonce_line("ab" * 16) == "migration-portal nonce: " + "ab" * 16
    assert messages.application_domain(HOST) == hashlib.sha256(HOST.encode()).digest()
