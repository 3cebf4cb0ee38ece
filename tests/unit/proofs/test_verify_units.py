"""Properties of the verifiers: the EIP-712 digest equals eth-account's; arbitrary text as any proof
raises only PortalError; each dispatcher refuses the other kinds of proof."""

from __future__ import annotations

import datetime as dt
from typing import Any

import base58
import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st
from proof_facts import evm_facts, solana_facts

from portal.domain.proofs import eip712, solana
from portal.domain.proofs.messages import MessageFields, build_typed_data
from portal.domain.proofs.verify import verify_signature, verify_solana_transaction, verify_transaction
from portal.errors import InvalidInputError, PortalError, UnprocessableError

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
ACCOUNT = Account.from_key(b"\x77" * 32)
DESTINATION = "0x1111111111111111111111111111111111111111"
SOLANA_ADDRESS = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"


class AnswersEverythingChain:
    """A fake node, honest about it: a contract exists everywhere, no wallet accepts, no tx is known."""

    def call_is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bytes:
        return b"\xff\xff\xff\xff"

    def get_code(self, address: str) -> bytes:
        return b"\x60"

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        return None

    def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return None

    def block_number(self) -> int:
        return 1

    def chain_id(self) -> int:
        return 1  # the facts' chain id: the other answers are what these tests are about


@given(nonce=st.text(min_size=1, max_size=64), chain_id=st.integers(1, 2**63), seconds=st.integers(0, 10**9))
def test_typed_data_digest_matches_eth_account(nonce: str, chain_id: int, seconds: int) -> None:
    issued = NOW + dt.timedelta(seconds=seconds)
    typed = build_typed_data(MessageFields(domain="portal.example.org", address=ACCOUNT.address,
                                           destination=DESTINATION, nonce=nonce, issued_at=issued,
                                           expires_at=issued + dt.timedelta(minutes=15), chain_id=chain_id))
    assert eip712.digest(typed) == _hash_eip191_message(encode_typed_data(full_message=typed))


FACTS = {method: evm_facts(method, ACCOUNT.address) for method in ("eip191", "eip712", "eip1271", "transaction")}
SOLANA = solana_facts("solana", SOLANA_ADDRESS)
SOLANA_TX = solana_facts("solana_tx", SOLANA_ADDRESS)
CHAIN = AnswersEverythingChain()
PROOF_TEXT = (st.text(max_size=300) | st.binary(max_size=100).map(lambda b: "0x" + b.hex())
              | st.binary(max_size=300).map(lambda b: base58.b58encode(b).decode()))


@settings(max_examples=300)
@given(text=PROOF_TEXT)
def test_arbitrary_proofs_raise_only_portal_errors(text: str) -> None:
    for call in (lambda: verify_signature(FACTS["eip191"], text), lambda: verify_signature(FACTS["eip712"], text),
                 lambda: verify_signature(FACTS["eip1271"], text, evm_node=CHAIN),
                 lambda: verify_signature(SOLANA, text, app_domain=bytes(32)),
                 lambda: verify_solana_transaction(SOLANA_TX, text),
                 lambda: verify_transaction(FACTS["transaction"], text, evm_node=CHAIN, min_confirmations=1)):
        try:
            call()
        except PortalError:
            pass


def test_dispatchers_refuse_the_other_kinds_of_proof() -> None:
    with pytest.raises(InvalidInputError, match="answered with tx_hash"):
        verify_signature(FACTS["transaction"], "0x" + "ab" * 65)
    with pytest.raises(InvalidInputError, match="answered with signed_transaction or signature"):
        verify_transaction(SOLANA_TX, "0x" + "ab" * 32, evm_node=CHAIN, min_confirmations=1)
    with pytest.raises(UnprocessableError, match="no transaction to sign"):  # a solana_tx challenge stores one
        verify_signature(SOLANA_TX, "0x" + "ab" * 64)
    with pytest.raises(InvalidInputError, match="answered with signature"):
        verify_transaction(FACTS["eip191"], "0x" + "ab" * 32, evm_node=CHAIN, min_confirmations=1)
    with pytest.raises(InvalidInputError, match="answered with signature"):
        verify_solana_transaction(SOLANA, "AAAA")


def test_solana_signature_accepts_base58_and_hex() -> None:
    raw = bytes(range(64))
    assert solana.parse_signature(raw.hex()) == raw
    assert solana.parse_signature("0x" + raw.hex()) == raw
    assert solana.parse_signature(base58.b58encode(raw).decode()) == raw
