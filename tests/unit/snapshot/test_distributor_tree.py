"""The distributor tree: the artifact, the in-memory tree and the JSON export against the reference.

Three independent checks: the on-chain ``verify`` written here (ten lines, below), the Rust
transliterated in ``distributor_reference.py``, and trees the Rust itself wrote (jup-ag's
committed files, ``vectors/distributor_jup_ag.json``).
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from pathlib import Path

import pytest
from distributor_reference import MerkleTree, airdrop_tree, claim_leaf, get_proof, tree_node_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snapshot
import snapshot.artifact
from snapshot import distributor, exports
from snapshot.addresses import b58encode
from snapshot.conversion import Conversion, Ratio

VECTORS = json.loads((Path(__file__).parent / "vectors" / "distributor_jup_ag.json").read_text())


def onchain_verify(proof: list[bytes], root: bytes, claimant: bytes, amount: int, locked: int = 0) -> bool:
    """``new_claim`` + ``jito_merkle_verify::verify``, from the program's source, independently."""
    node = hashlib.sha256(claimant + amount.to_bytes(8, "little") + locked.to_bytes(8, "little")).digest()
    node = hashlib.sha256(b"\x00" + node).digest()
    for element in proof:
        pair = node + element if node <= element else element + node
        node = hashlib.sha256(b"\x01" + pair).digest()
    return node == root


def _write_list(folder: Path, rows: list[tuple[bytes, int]]) -> Path:
    source = folder / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"{b58encode(key)},{amount}\n" for key, amount in rows))
    return source


def _build(folder: Path, rows: list[tuple[bytes, int]], **options) -> snapshot.Manifest:
    return snapshot.build_artifact(_write_list(folder, rows), folder / "out", tree="distributor", **options)


def test_transliteration_reproduces_the_rust_golden_root() -> None:
    # merkle_tree.rs test_tree_from_many (unsorted hashing, 11 items: odd levels all the way up).
    items = [b"my", b"very", b"eager", b"mother", b"just", b"served", b"us", b"nine", b"pizzas", b"make", b"prime"]
    root = MerkleTree(items, False).get_root()
    assert root is not None and root.hex() == "b40c847546fdceea166f927fc46c5ca33c3638236a36275c1346d3dffb84e1bc"


@pytest.mark.parametrize("tree", VECTORS["trees"], ids=lambda tree: f"{len(tree['nodes'])}-nodes")
def test_trees_written_by_the_rust_are_reproduced(tree: dict, tmp_path: Path) -> None:
    claims = [distributor.Claim(bytes.fromhex(key), amount, locked) for key, amount, locked, _ in tree["nodes"]]
    built = distributor.AirdropTree(claims)
    assert built.root.hex() == tree["merkle_root"]
    for index, (key, amount, locked, proof) in enumerate(tree["nodes"]):
        assert [node.hex() for node in built.proof(index)] == proof
        assert onchain_verify([bytes.fromhex(node) for node in proof], built.root, bytes.fromhex(key), amount, locked)
    unlocked_only = [(key, amount) for key, amount, locked, _ in tree["nodes"] if locked == 0]
    if len(unlocked_only) == len(tree["nodes"]):  # the artifact holds unlocked amounts only
        manifest = _build(tmp_path, [(bytes.fromhex(key), amount) for key, amount in unlocked_only])
        assert manifest.merkle_root == "0x" + tree["merkle_root"]


def test_json_is_byte_for_byte_what_write_to_file_writes() -> None:
    raw = VECTORS["file_3_nodes"]
    document = json.loads(raw)
    # serde_json::to_string_pretty and json.dumps(indent=2) lay these documents out identically:
    assert json.dumps(document, indent=2) == raw
    claims = [distributor.Claim(bytes(node["claimant"]), node["amount"], node["locked_amount"])
              for node in document["tree_nodes"]]
    ours = distributor.AirdropTree(claims, version=0).to_json()
    # Today's AirdropMerkleTree fields (the committed file predates the unlocked/locked totals).
    expected = {"merkle_root": document["merkle_root"], "airdrop_version": 0, "max_num_nodes": 3,
                "total_unlocked_amount": sum(c.amount for c in claims),
                "total_locked_amount": sum(c.locked_amount for c in claims), "tree_nodes": document["tree_nodes"]}
    assert ours == json.dumps(expected, indent=2).encode()


rows_strategy = st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(1, 2**64 // 70)),
                         min_size=1, max_size=70, unique_by=lambda row: row[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, absent=st.binary(min_size=32, max_size=32))
def test_every_proof_verifies_and_nothing_absent_does(rows: list[tuple[bytes, int]], absent: bytes) -> None:
    root, proofs = airdrop_tree([(key, amount, 0) for key, amount in rows])
    with tempfile.TemporaryDirectory() as tmp:
        manifest = _build(Path(tmp), rows)
        assert manifest.merkle_root == "0x" + root.hex() and manifest.tree == "distributor"
        with snapshot.Snapshot.open(manifest.path) as opened:
            for index, (key, amount) in enumerate(rows):
                entry = opened.lookup(snapshot.parse_address(b58encode(key)))
                assert entry is not None and entry.leaf_index == index and entry.amount == amount
                proof = [bytes.fromhex(node[2:]) for node in entry.proof]
                assert proof == proofs[index]
                assert onchain_verify(proof, root, key, amount)
                assert not onchain_verify(proof, root, key, amount - 1)
                assert json.loads(b"[" + opened.proof_json(index) + b"]") == entry.proof
            if absent not in dict(rows):
                assert opened.lookup(snapshot.parse_address(b58encode(absent))) is None
                assert not any(onchain_verify(proofs[i], root, absent, amount) for i, (_, amount) in enumerate(rows))


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 9, 33])
def test_odd_levels_pair_the_last_node_with_itself(count: int) -> None:
    rng = random.Random(count)
    claims = [(rng.randbytes(32), rng.randrange(2**64), 0) for _ in range(count)]
    root, proofs = airdrop_tree(claims)
    tree = distributor.AirdropTree([distributor.Claim(*claim) for claim in claims])
    assert tree.root == root and [tree.proof(i) for i in range(count)] == proofs
    if count > 1 and count % 2:
        last = count - 1
        assert proofs[last][0] == claim_leaf(claims[last][0], claims[last][1])  # its own sibling
    assert count > 1 or proofs == [[]]


def test_a_deep_tree_answers_cached_upper_proofs_exactly(tmp_path: Path) -> None:
    rng = random.Random(3)
    count = 2 ** (snapshot.artifact.PROOF_CACHE_DEPTH + 1) + 333
    rows = [(rng.randbytes(32), rng.randrange(1, 10**15)) for _ in range(count)]
    manifest = _build(tmp_path, rows)
    reference = MerkleTree([tree_node_hash(key, amount, 0) for key, amount in rows], True)
    assert manifest.merkle_root == "0x" + reference.nodes[-1].hex()
    with snapshot.Snapshot.open(manifest.path) as opened:
        opened.verify()
        for index in rng.sample(range(count), 100) * 2 + [count - 1]:  # the second round reads the cache
            expected = ",".join(f'"0x{node.hex()}"' for node in get_proof(reference, index)).encode()
            assert opened.proof_json(index) == expected


def test_corruption_of_a_distributor_artifact_is_detected(tmp_path: Path) -> None:
    rng = random.Random(4)
    manifest = _build(tmp_path, [(rng.randbytes(32), rng.randrange(1, 10**12)) for _ in range(21)])
    artifact = Path(manifest.path)
    data = artifact.read_bytes()
    header_end = 12 + int.from_bytes(data[8:12], "little")
    for position in range(header_end, len(data), 13):
        corrupted = bytearray(data)
        corrupted[position] ^= 0x01
        target = tmp_path / "bad" / artifact.name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(bytes(corrupted))
        with pytest.raises(snapshot.ArtifactError), snapshot.Snapshot.open(target) as opened:
            opened.verify()


def test_u64_overflow_is_refused_with_its_line_number(tmp_path: Path) -> None:
    rng = random.Random(5)
    keys = [b58encode(rng.randbytes(32)) for _ in range(4)]
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\n{keys[0]},{2**64 - 1}\n{keys[1]},5\n\n{keys[2]},{2**64}\n{keys[3]},1\n")
    with pytest.raises(snapshot.HolderListError) as refused:
        snapshot.build_artifact(source, tmp_path / "out", tree="distributor")
    assert refused.value.problems == [(5, f"amount {2**64} does not fit in u64 (at most {2**64 - 1})")]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    # The same amount is fine in an OZ tree (uint256).
    snapshot.build_artifact(source, tmp_path / "oz")


def test_a_total_beyond_u64_is_refused(tmp_path: Path) -> None:
    rng = random.Random(6)
    source = tmp_path / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"{b58encode(rng.randbytes(32))},{2**63}\n" for _ in range(2)))
    with pytest.raises(snapshot.HolderListError, match="more than a u64 holds"):
        snapshot.build_artifact(source, tmp_path / "out", tree="distributor")


def test_node_count_limit_and_evm_lists_are_refused(tmp_path: Path) -> None:
    with pytest.raises(distributor.DistributorLimitError, match="2\\^32 - 1"):
        distributor.check_node_count(2**32)
    distributor.check_node_count(2**32 - 1)
    source = tmp_path / "evm.csv"
    source.write_text("address,amount\n0x" + "11" * 20 + ",5\n")
    with pytest.raises(snapshot.HolderListError, match="Solana holder lists"):
        snapshot.build_artifact(source, tmp_path / "out", tree="distributor")


def test_export_without_shards_is_the_artifacts_own_tree(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [(rng.randbytes(32), rng.randrange(1, 10**12)) for _ in range(13)]
    manifest = _build(tmp_path, rows)
    with snapshot.Snapshot.open(manifest.path) as opened:
        summary = exports.write_distributor_json(opened, tmp_path / "tree.json")
    written = (tmp_path / "tree.json").read_bytes()
    assert written == distributor.AirdropTree([distributor.Claim(k, a) for k, a in rows]).to_json()
    document = json.loads(written)
    root, proofs = airdrop_tree([(key, amount, 0) for key, amount in rows])
    assert bytes(document["merkle_root"]) == root and "0x" + root.hex() == manifest.merkle_root
    assert [[bytes(p) for p in node["proof"]] for node in document["tree_nodes"]] == proofs
    assert [bytes(node["claimant"]) for node in document["tree_nodes"]] == [key for key, _ in rows]
    assert document["max_num_nodes"] == 13 and document["total_locked_amount"] == 0
    assert summary.trees[0].max_total_claim == str(sum(amount for _, amount in rows))


@pytest.mark.parametrize(("count", "per_tree"), [(10, 3), (9, 3), (7, 1), (5, 100)])
def test_shards_are_consecutive_runs_with_the_index_as_version(tmp_path: Path, count: int, per_tree: int) -> None:
    rng = random.Random(count * per_tree)
    rows = [(rng.randbytes(32), rng.randrange(1, 10**12)) for _ in range(count)]
    manifest = _build(tmp_path, rows)
    with snapshot.Snapshot.open(manifest.path) as opened:
        summary = exports.write_distributor_json(opened, tmp_path / "trees", max_nodes_per_tree=per_tree)
    runs = [rows[start: start + per_tree] for start in range(0, count, per_tree)]
    assert len(summary.trees) == len(runs)
    for version, run in enumerate(runs):
        document = json.loads((tmp_path / "trees" / f"tree_{version}.json").read_bytes())
        root, proofs = airdrop_tree([(key, amount, 0) for key, amount in run])
        assert document["airdrop_version"] == version and bytes(document["merkle_root"]) == root
        assert document["max_num_nodes"] == len(run)
        for node, (key, amount), proof in zip(document["tree_nodes"], run, proofs, strict=True):
            assert bytes(node["claimant"]) == key and node["amount"] == amount
            assert [bytes(p) for p in node["proof"]] == proof
            assert onchain_verify(proof, root, key, amount)


def test_converted_export_floors_amounts_and_reports_the_remainder(tmp_path: Path) -> None:
    rows = [(bytes([i]) * 32, amount) for i, amount in enumerate([10**9 + 600, 700, 2 * 10**9 + 500], start=1)]
    manifest = _build(tmp_path, rows, decimals=9)
    conversion = Conversion(9, 6, Ratio(3, 2))  # 1.5 new tokens per old token, 6 decimals
    with snapshot.Snapshot.open(manifest.path) as opened:
        summary = exports.write_distributor_json(opened, tmp_path / "tree.json", conversion=conversion)
    document = json.loads((tmp_path / "tree.json").read_bytes())
    assert [node["amount"] for node in document["tree_nodes"]] == [1_500_000, 1, 3_000_000]
    assert summary.conversion is not None
    assert summary.conversion.converted == "4500001" and summary.conversion.converted_total == "4500002"
    assert summary.conversion.remainder_units == "1"
