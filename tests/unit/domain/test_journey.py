"""Every wallet kind offered for a chain maps to a method that chain accepts (or, for an exchange, none)."""

from __future__ import annotations

import pytest

from portal.domain.journey import method_for, wallet_kinds
from portal.domain.proofs.registry import names_for


@pytest.mark.parametrize(("chain", "allowed"), [("evm", names_for("evm")), ("solana", names_for("solana"))])
def test_each_wallet_kind_has_a_method_of_its_chain(chain: str, allowed: tuple[str, ...]) -> None:
    for wallet in wallet_kinds(chain):
        choice = method_for(chain, wallet)
        if wallet == "exchange":
            assert choice is None
            continue
        assert choice is not None and choice.method in allowed
        assert "paste" in choice.sign_ways
        assert choice.message_style == "standard" or choice.method == "solana"


def test_ledger_on_solana_gets_the_one_line_text_and_tangem_the_transaction() -> None:
    assert method_for("solana", "hardware").message_style == "one_line"
    assert method_for("solana", "tangem").method == "solana_tx"
    assert method_for("evm", "tangem").sign_ways[0] == "walletconnect"
