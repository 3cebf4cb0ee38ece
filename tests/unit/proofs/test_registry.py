"""The proof-method registry is the one place a method is described: every list, dispatch, word and page
datum derives from it, and nothing else names a method."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
import yaml
from proof_facts import evm_facts, solana_facts

from portal.cli.openapi import generated_openapi
from portal.domain import journey
from portal.domain.proofs import registry
from portal.domain.proofs.registry import PROOF_FIELDS, VerifyEnv
from portal.domain.proofs.verify import verify
from portal.domain.review import queue
from portal.errors import InvalidInputError
from portal.http.copy import journey as copy

JS = Path(registry.__file__).resolve().parents[2] / "http" / "static" / "js"
SOLANA_ADDRESS = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"
EVM_ADDRESS = "0x1111111111111111111111111111111111111111"


def test_the_api_enum_and_the_review_filter_are_the_registry_in_its_order() -> None:
    assert get_args(registry.Method) == registry.NAMES
    assert queue.METHODS == registry.NAMES
    schemas = yaml.safe_load(generated_openapi())["components"]["schemas"]
    assert tuple(schemas["ChallengeCreate"]["properties"]["method"]["enum"]) == registry.NAMES
    rule = schemas["ChallengeCreate"]
    assert rule["then"]["properties"]["method"]["enum"] == sorted(registry.names_for("evm"))
    assert rule["else"]["properties"]["method"]["enum"] == sorted(registry.names_for("solana"))


@pytest.mark.parametrize("method", registry.METHODS, ids=lambda m: m.name)
def test_every_method_is_complete(method: registry.ProofMethod) -> None:
    assert method.proof_fields and set(method.proof_fields) <= set(PROOF_FIELDS)
    assert "standard" in method.message_styles
    assert method.node in ("none", method.chain)  # a method asks, if any, the node of its own chain
    words = method.holder
    assert words.name and words.explanation and words.proof_label and words.proof_hint and method.staff
    assert copy.method_name(method.name) == words.name
    assert copy.proof_field(method.name) == (words.proof_label, words.proof_hint)


@pytest.mark.parametrize("method", registry.METHODS, ids=lambda m: m.name)
def test_a_proof_field_the_method_does_not_take_is_refused_before_any_node(method: registry.ProofMethod) -> None:
    facts = (evm_facts if method.chain == "evm" else solana_facts)(method.name, EVM_ADDRESS if method.chain == "evm"
                                                                   else SOLANA_ADDRESS)
    for field in set(PROOF_FIELDS) - set(method.proof_fields):
        with pytest.raises(InvalidInputError) as refused:
            verify(facts, field, "x", VerifyEnv())  # no node: a refusal here names the field, not the node
        assert refused.value.field == field
        assert f"answered with {' or '.join(method.proof_fields)}, not {field}" in refused.value.detail


def test_pasted_text_goes_to_the_field_the_method_takes() -> None:
    signature, whole_transaction = "ab" * 65, "A" * 300
    assert registry.method("transaction").field_of(signature) == "tx_hash"
    assert registry.method("solana_onchain").field_of(signature) == "tx_hash"
    assert registry.method("solana_tx").field_of(signature) == "signature"
    assert registry.method("solana_tx").field_of(whole_transaction) == "signed_transaction"
    assert registry.method("eip191").field_of(whole_transaction) == "signature"


def test_an_unknown_method_is_a_400_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as refused:
        registry.method("safe-ish")
    assert refused.value.field == "method"


def test_every_method_the_journey_offers_can_be_signed_by_the_ways_it_offers() -> None:
    for chain in ("evm", "solana"):
        for wallet in journey.wallet_kinds(chain):
            choice = journey.method_for(chain, wallet)
            if choice is None:
                continue
            method = registry.method(choice.method)
            assert method.chain == chain and choice.message_style in method.message_styles
            if set(choice.sign_ways) - {"paste"}:  # a wallet signs in the page: the page must say how
                assert method.wallet_request is not None
                assert method.page_data() == {"chain": chain, "wallet_request": method.wallet_request}


def test_the_contract_wallet_flag_comes_from_the_registry() -> None:
    assert registry.contract_wallet_methods() == tuple(m.name for m in registry.METHODS if m.contract_wallet)
    assert "eip1271" in registry.contract_wallet_methods()


def test_the_sign_page_scripts_never_name_a_method() -> None:
    """What to ask a wallet for travels in the page's challenge-data; a method name in the JS is a second list.
    (``solana`` is also a chain's name, which the scripts use as such, so it cannot be told apart here.)"""
    names = "|".join(re.escape(name) for name in registry.NAMES if name not in ("evm", "solana"))
    for path in [*JS.glob("*.js"), *JS.glob("wallets/*.js")]:
        found = re.findall(rf"""["'`]({names})["'`]""", path.read_text(encoding="utf-8"))
        assert found == [], f"{path.name} names {found}"
