"""Roots, tree arrays, treeIndex and proofs equal @openzeppelin/merkle-tree's on the shared vectors."""

from __future__ import annotations

import json
from pathlib import Path

import base58
import pytest

import snapshot
from snapshot.merkle import encode_entry, standard_tree

VECTORS = json.loads((Path(__file__).resolve().parents[3].parent / "shared" / "data" / "oz_vectors.json").read_text())


def _raw(value: str, kind: str) -> bytes:
    if kind == "address":
        return bytes.fromhex(value[2:])
    return bytes.fromhex(value[2:]) if value.startswith("0x") else base58.b58decode(value)


@pytest.mark.parametrize("vector", VECTORS["sets"], ids=lambda v: f"{v['leafEncoding'][0]}-{len(v['input'])}")
def test_standard_tree_matches_openzeppelin(vector: dict) -> None:
    kind = vector["leafEncoding"][0]
    encoded = [encode_entry(_raw(key, kind), int(amount)) for key, amount in vector["input"]]
    tree = standard_tree(encoded)
    assert "0x" + tree.root.hex() == vector["root"]
    assert ["0x" + node.hex() for node in tree.nodes] == vector["dump"]["tree"]
    for value_index, value in enumerate(vector["dump"]["values"]):
        assert tree.tree_index[value_index] == value["treeIndex"]
    for value_index, (key, _) in enumerate(vector["input"]):
        assert ["0x" + node.hex() for node in tree.proof(value_index)] == vector["proofs"][key]


@pytest.mark.parametrize("vector", VECTORS["sets"], ids=lambda v: f"{v['leafEncoding'][0]}-{len(v['input'])}")
def test_artifact_answers_like_openzeppelin(vector: dict, tmp_path: Path) -> None:
    kind = vector["leafEncoding"][0]
    lines = ["address,amount"]
    for key, amount in vector["input"]:
        address = snapshot.parse_address(key if kind == "address" else base58.b58encode(_raw(key, kind)).decode())
        lines.append(f"{address.text},{amount}")
    source = tmp_path / "holders.csv"
    source.write_text("\n".join(lines) + "\n")
    manifest = snapshot.build_artifact(source, tmp_path / "out")
    assert manifest.merkle_root == vector["root"]
    with snapshot.Snapshot.open(manifest.path) as opened:
        opened.verify()
        for (key, amount), value in zip(vector["input"], vector["dump"]["values"], strict=True):
            text = key if kind == "address" else base58.b58encode(_raw(key, kind)).decode()
            entry = opened.lookup(snapshot.parse_address(text))
            assert entry is not None
            assert entry.amount == int(amount)
            assert entry.leaf_index == value["treeIndex"]
            assert entry.proof == vector["proofs"][key]
