"""Properties of the two parsers: Transfer-log replay against a model ledger, token-account layout against solders."""

from __future__ import annotations

import base64
import struct

from hypothesis import given
from hypothesis import strategies as st
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount

from snapshot.from_chain.evm import TRANSFER_TOPIC, ZERO, _apply
from snapshot.from_chain.solana import TOKEN_PROGRAM, _parse_account

TOKEN = "0x" + "ab" * 20
PEOPLE = [bytes([i]) * 20 for i in range(1, 6)]

moves = st.lists(st.tuples(st.sampled_from([ZERO, *PEOPLE]), st.sampled_from([ZERO, *PEOPLE]),
                           st.integers(0, 2**200)), max_size=40)


def _log(sender: bytes, receiver: bytes, value: int, block: int) -> dict:
    return {"address": TOKEN, "topics": [TRANSFER_TOPIC, "0x" + sender.rjust(32, b"\0").hex(),
                                         "0x" + receiver.rjust(32, b"\0").hex()],
            "data": "0x" + value.to_bytes(32).hex(), "blockNumber": hex(block), "logIndex": "0x0"}


@given(moves, st.integers(1, 5))
def test_replay_in_any_chunking_equals_a_model_ledger(steps: list[tuple[bytes, bytes, int]], chunks: int) -> None:
    model: dict[bytes, int] = {}
    logs = []
    for block, (sender, receiver, value) in enumerate(steps):
        if sender == receiver == ZERO:
            continue
        logs.append(_log(sender, receiver, value, block))
        if sender != ZERO:
            model[sender] = model.get(sender, 0) - value
        if receiver != ZERO:
            model[receiver] = model.get(receiver, 0) + value
    deltas: dict[bytes, int] = {}
    size = max(1, len(logs) // chunks)
    for start in range(0, len(logs), size):
        _apply(logs[start: start + size], TOKEN, 0, len(steps), deltas)
    assert {k: v for k, v in deltas.items() if v} == {k: v for k, v in model.items() if v}


accounts = st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1), st.none() | st.binary(min_size=32,
                     max_size=32), st.sampled_from([1, 2]), st.integers(0, 2**64 - 1))


@given(accounts)
def test_token_account_layout_matches_solders(fields: tuple[bytes, int, bytes | None, int, int]) -> None:
    owner, amount, delegate, state, delegated = fields
    mint = bytes(range(32))
    data = (mint + owner + struct.pack("<Q", amount) + (b"\x01\0\0\0" + delegate if delegate else bytes(36))
            + bytes([state]) + bytes(12) + struct.pack("<Q", delegated) + bytes(36))
    entry = {"pubkey": str(Pubkey.new_unique()),
             "account": {"owner": TOKEN_PROGRAM, "data": [base64.b64encode(data).decode(), "base64"]}}
    _, parsed_owner, parsed_mint, parsed_amount, parsed_state, parsed_delegate, parsed_delegated = \
        _parse_account(entry, TOKEN_PROGRAM, mint)
    reference = TokenAccount.from_bytes(data)
    assert (parsed_owner, parsed_mint, parsed_amount) == (bytes(reference.owner), bytes(reference.mint),
                                                          reference.amount)
    assert parsed_delegate == (bytes(reference.delegate) if reference.delegate else None)
    assert parsed_delegated == reference.delegated_amount and parsed_state == int(reference.state)
