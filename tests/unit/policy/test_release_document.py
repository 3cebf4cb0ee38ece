"""Release documents: prepared, signed and verified like a policy; every refusal has its own code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import msgspec
import pytest
from eth_account import Account

from policy import release, release_writing
from policy.errors import PolicyDocumentError
from policy.root import parse_root
from policy.signatures import Signature
from policy.statement import sign_statement
from portal.cli import main
from snapshot import distributor, uniswap
from snapshot.addresses import parse_address

CREATED = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
EVM_A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EVM_B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
SOL_A = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"
DISTRIBUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _paid(*rows: tuple[str, str, int]) -> list[tuple[str, release.ReleaseSource]]:
    return [(destination, release.ReleaseSource("snap-1", snapshot_address, str(amount)))
            for destination, snapshot_address, amount in rows]


def _evm(number: int = 1, prev: str = "", **kwargs) -> release_writing.Prepared:
    return release_writing.prepare(_paid((EVM_A, "0x" + "11" * 20, 5), (EVM_B, "0x" + "22" * 20, 7),
                                 (EVM_A, "0x" + "33" * 20, 1)),
                           destination_chain="evm", number=number, tree=kwargs.pop("tree", "uniswap"), prev=prev,
                           decimals=6, created=CREATED, **kwargs)


def _root(*accounts, threshold: int | None = None):
    signers = ", ".join(f'"{a.address}"' for a in accounts)
    return parse_root(f"version = 1\nthreshold = {threshold or len(accounts)}\nexpires = 2099-01-01T00:00:00Z\n"
                      f"signers = [{signers}]\n".encode())


def _signed(text: str, *accounts) -> list[Signature]:
    doc = release.parse_release(text.encode())
    statement = release.release_statement(doc)
    return [Signature(a.address, sign_statement(statement, a.key)) for a in accounts]


def test_prepare_combines_a_destination_and_every_proof_claims_from_the_root() -> None:
    prepared = _evm()
    assert [(e.index, e.destination, e.amount, len(e.sources)) for e in prepared.entries] == [
        (0, EVM_A, "6", 2), (1, EVM_B, "7", 1)]
    doc = release.parse_release(prepared.text.encode())
    assert (doc.number, doc.tree, doc.total, doc.entries, doc.merkle_root) == (1, "uniswap", 13, 2,
                                                                              prepared.merkle_root)
    built = release.BuiltTree("uniswap", "evm", prepared.entries)
    for entry in prepared.entries:
        leaf = uniswap.leaf_hash(entry.index, bytes.fromhex(entry.destination[2:]), int(entry.amount))
        assert uniswap.verify(built.proof(entry.index), bytes.fromhex(doc.merkle_root[2:]), leaf)
    assert release.entry_problems(doc, prepared.entries_bytes) == []


def test_solana_release_is_the_distributor_tree() -> None:
    prepared = release_writing.prepare(_paid((SOL_A, "0x" + "11" * 20, 9)), destination_chain="solana", number=1,
                               tree="distributor", prev="", decimals=9, created=CREATED)
    built = release.BuiltTree("distributor", "solana", prepared.entries)
    leaf = distributor.leaf_hash(parse_address(SOL_A).raw, 9)
    assert distributor.verify(built.proof(0), bytes.fromhex(prepared.merkle_root[2:]), leaf)
    with pytest.raises(PolicyDocumentError, match="tree"):
        release.parse_release(prepared.text.replace('tree = "distributor"', 'tree = "uniswap"').encode())


def test_statement_is_not_a_policy_statement() -> None:
    doc = release.parse_release(_evm().text.encode())
    assert release.release_statement(doc) == f"Token release evm number 1\nsha256:{doc.sha256}\nprev:"


def test_check_release_refuses_each_fault_with_its_code() -> None:
    a, b = Account.create(), Account.create()
    root = _root(a, b)
    first = _evm()
    text = release_writing.set_distributor(first.text.encode(), DISTRIBUTOR).decode()
    doc1 = release.parse_release(text.encode())
    good = release.check_release(doc1, _signed(text, a, b), root, previous=None, entries_bytes=first.entries_bytes)
    assert good.ok, good.problems

    def codes(doc, signatures, previous=None, entries=first.entries_bytes) -> list[str]:
        return [p.code for p in release.check_release(doc, signatures, root, previous=previous,
                                                      entries_bytes=entries).problems]

    assert codes(doc1, _signed(text, a)) == ["below_threshold"]
    assert "entries_mismatch" in codes(doc1, _signed(text, a, b), entries=first.entries_bytes.replace(b'"7"', b'"8"'))
    # An edited entries file with a matching hash but a root that does not follow: root_mismatch.
    forged = release.encode_entries([release.ReleaseEntry(0, EVM_A, "13", first.entries[0].sources),
                                     release.ReleaseEntry(1, EVM_B, "0", first.entries[1].sources)])
    forged_text = text.replace(first.entries_sha256, hashlib.sha256(forged).hexdigest())
    assert codes(release.parse_release(forged_text.encode()), _signed(forged_text, a, b),
                 entries=forged) == ["root_mismatch"]
    second = _evm(number=2, prev=doc1.sha256)
    text2 = release_writing.set_distributor(second.text.encode(), DISTRIBUTOR).decode()
    doc2 = release.parse_release(text2.encode())
    assert codes(doc2, _signed(text2, a, b), previous=doc1, entries=second.entries_bytes) == []
    assert codes(doc2, _signed(text2, a, b), previous=None, entries=second.entries_bytes) == ["not_next_number"]
    wrong = _evm(number=2, prev="ab" * 32)
    wrong_text = release_writing.set_distributor(wrong.text.encode(), DISTRIBUTOR).decode()
    assert codes(release.parse_release(wrong_text.encode()), _signed(wrong_text, a, b), previous=doc1,
                 entries=wrong.entries_bytes) == ["wrong_prev"]
    assert codes(release.parse_release(first.text.encode()), _signed(first.text, a, b)) == ["distributor_missing"]


def test_distributor_must_be_an_address_of_the_chain() -> None:
    with pytest.raises(PolicyDocumentError, match="distributor"):
        release_writing.set_distributor(_evm().text.encode(), SOL_A)


def test_policy_cli_signs_and_verifies_a_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = Account.create(), Account.create()
    (tmp_path / "root.toml").write_text(_root(a, b).raw.decode())
    prepared = _evm()
    doc = tmp_path / "release-evm-1.md"
    doc.write_bytes(release_writing.set_distributor(prepared.text.encode(), DISTRIBUTOR))
    (tmp_path / "release-evm-1.entries.json").write_bytes(prepared.entries_bytes)
    assert main(["policy", "statement", str(doc), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "release" and out["statement"].startswith("Token release evm number 1\n")
    for account in (a, b):
        assert main(["policy", "add-signature", str(doc), "--signature",
                     sign_statement(out["statement"], account.key)]) == 0
    capsys.readouterr()
    assert main(["policy", "verify", str(doc), "--root", str(tmp_path / "root.toml")]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    (tmp_path / "release-evm-1.entries.json").write_bytes(prepared.entries_bytes.replace(b'"7"', b'"70"'))
    assert main(["policy", "verify", str(doc), "--root", str(tmp_path / "root.toml")]) == 1
    assert "entries_mismatch" in capsys.readouterr().err


def test_an_evm_release_names_its_chain_id_in_the_document_and_every_entry() -> None:
    prepared = _evm(chain_id=8453)
    doc = release.parse_release(prepared.text.encode())
    assert doc.chain_id == 8453 and "chain_id = 8453\n" in prepared.text
    assert {entry.chain_id for entry in release.decode_entries(prepared.entries_bytes)} == {8453}
    assert release.entry_problems(doc, prepared.entries_bytes) == []
    # The chain id is not part of the leaf: the same approvals have the same root on every chain.
    assert prepared.merkle_root == _evm().merkle_root
    # A release written before chain ids were named still reads, its entries without one.
    old = _evm()
    assert release.parse_release(old.text.encode()).chain_id is None and b"chain_id" not in old.entries_bytes


def test_an_entry_of_another_chain_id_than_its_document_is_a_mismatch() -> None:
    prepared = _evm(chain_id=1)
    other = release.encode_entries([msgspec.structs.replace(e, chain_id=10) for e in prepared.entries])
    text = prepared.text.replace(prepared.entries_sha256, hashlib.sha256(other).hexdigest())
    problems = release.entry_problems(release.parse_release(text.encode()), other)
    assert [p.code for p in problems] == ["entries_mismatch"] and "chain id" in problems[0].message


@pytest.mark.parametrize(("line", "reason"), [("chain_id = 0", "chain_id"), ('chain_id = "1"', "chain_id"),
                                              (f"chain_id = {2**53}", "chain_id")])
def test_a_chain_id_that_is_no_chain_id_is_refused(line: str, reason: str) -> None:
    with pytest.raises(PolicyDocumentError, match=reason):
        release.parse_release(_evm(chain_id=1).text.replace("chain_id = 1", line).encode())


def test_a_solana_release_names_no_chain_id() -> None:
    prepared = release_writing.prepare(_paid((SOL_A, "0x" + "11" * 20, 9)), destination_chain="solana", number=1,
                                       tree="distributor", prev="", decimals=9, created=CREATED)
    assert b"chain_id" not in prepared.entries_bytes
    text = prepared.text.replace('destination_chain = "solana"\n', 'destination_chain = "solana"\nchain_id = 1\n')
    with pytest.raises(PolicyDocumentError, match="chain_id"):
        release.parse_release(text.encode())
    with pytest.raises(ValueError, match="chain id"):
        release_writing.prepare(_paid((SOL_A, "0x" + "11" * 20, 9)), destination_chain="solana", number=1,
                                tree="distributor", prev="", decimals=9, created=CREATED, chain_id=1)
