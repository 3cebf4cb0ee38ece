"""Pure verifier pieces: the EIP-712 digest equals eth-account's; arbitrary input raises only PortalError."""

from __future__ import annotations

import datetime as dt

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.proofs import eip712, solana
from portal.domain.proofs.facts import ChallengeFacts
from portal.domain.proofs.messages import build_evm_message, build_typed_data
from portal.domain.proofs.verify import verify_signature, verify_solana_transaction, verify_transaction
from portal.errors import PortalError

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
ACCOUNT = Account.create()
DESTINATION = "0x1111111111111111111111111111111111111111"


@given(nonce=st.text(min_size=1, max_size=64), chain_id=st.integers(1, 2**63), seconds=st.integers(0, 10**9))
def test_typed_data_digest_matches_eth_account(nonce: str, chain_id: int, seconds: int) -> None:
    issued = NOW + dt.timedelta(seconds=seconds)
    typed = build_typed_data(snapshot_address=ACCOUNT.address, destination=DESTINATION, nonce=nonce, issued_at=issued,
                             expires_at=issued + dt.timedelta(minutes=15), chain_id=chain_id)
    assert eip712.digest(typed) == _hash_eip191_message(encode_typed_data(full_message=typed))


FACTS = {
    method: ChallengeFacts(method, "evm", ACCOUNT.address, DESTINATION, "ab" * 16, NOW, NOW, build_evm_message(
        domain="d", uri="https://d", address=ACCOUNT.address, destination=DESTINATION, chain_id=1, nonce="ab" * 16,
        issued_at=NOW, expires_at=NOW, request_id="r"), build_typed_data(
        snapshot_address=ACCOUNT.address, destination=DESTINATION, nonce="ab" * 16, issued_at=NOW, expires_at=NOW,
        chain_id=1), 1)
    for method in ("eip191", "eip712", "transaction")
}
SOLANA = ChallengeFacts("solana", "solana", "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2", DESTINATION, "ab" * 16,
                        NOW, NOW, "message", None, 1)
SOLANA_TX = ChallengeFacts("solana_tx", "solana", SOLANA.snapshot_address, DESTINATION, "ab" * 16, NOW, NOW, "m",
                           None, 1)


@given(text=st.text(max_size=300) | st.binary(max_size=100).map(lambda b: "0x" + b.hex()))
def test_arbitrary_proofs_raise_only_portal_errors(text: str) -> None:
    for call in (lambda: verify_signature(FACTS["eip191"], text), lambda: verify_signature(FACTS["eip712"], text),
                 lambda: verify_signature(SOLANA, text), lambda: verify_solana_transaction(SOLANA_TX, text),
                 lambda: verify_transaction(FACTS["transaction"], text, chain=None, min_confirmations=1)):
        try:
            call()
        except PortalError:
            pass


def test_solana_signature_accepts_base58_and_hex() -> None:
    import base58

    raw = bytes(range(64))
    assert solana.parse_signature(raw.hex()) == raw
    assert solana.parse_signature("0x" + raw.hex()) == raw
    assert solana.parse_signature(base58.b58encode(raw).decode()) == raw
