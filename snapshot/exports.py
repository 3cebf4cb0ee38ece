"""A distributor artifact written out as the merkle-distributor's own JSON (``AirdropMerkleTree``).

``write_distributor_json`` produces exactly what ``jup-ag/distributor``'s ``create-merkle-tree``
writes for the same list: one ``AirdropMerkleTree`` file, or with ``max_nodes_per_tree`` one file
per consecutive run of that many entries, named ``tree_<i>.json`` with ``airdrop_version = i``.
The claim program is initialised from each file's ``merkle_root``, ``max_num_nodes`` and
``total_unlocked_amount + total_locked_amount`` (its ``max_total_claim``), and each claimant
sends its ``amount``, ``locked_amount`` and ``proof``.

With a ``Conversion`` the amounts are first converted to the claim token's base units (rounded
down; the dropped remainders are totalled in the summary), which gives new trees and roots. Without
one, and without sharding, the file is the artifact's own tree: its proofs are read from the mapped
file, not recomputed, and its root is the artifact's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import msgspec

from snapshot import distributor
from snapshot.artifact import Snapshot
from snapshot.conversion import Conversion, Totals
from snapshot.errors import ArtifactError


class ExportedTree(msgspec.Struct, frozen=True):
    """One written ``AirdropMerkleTree`` file and what the distributor account is created with."""

    file: str
    airdrop_version: int
    merkle_root: str
    max_num_nodes: int
    max_total_claim: str


class ExportSummary(msgspec.Struct, frozen=True):
    snapshot_id: str
    trees: list[ExportedTree]
    conversion: Totals | None = None


def _claims(opened: Snapshot, conversion: Conversion | None) -> tuple[list[distributor.Claim], Totals | None]:
    """The artifact's entries in list order (its leaf order), amounts converted when asked."""
    claims = []
    for number in opened.records_in_leaf_order():
        amount, _ = opened.value_at(number)
        claims.append(distributor.Claim(opened.key_at(number), amount))
    totals = None
    if conversion is not None:
        totals = conversion.totals(claim.amount for claim in claims)
        for claim in claims:
            claim.amount = conversion.convert(claim.amount)
            distributor.check_u64(claim.amount, "converted amount")
    return claims, totals


def _own_tree_json(opened: Snapshot, claims: list[distributor.Claim]) -> Iterator[bytes]:
    pieces = (distributor.tree_node_json(claim, opened.proof_nodes(index)) for index, claim in enumerate(claims))
    return distributor.airdrop_tree_json(opened.root(), 0, claims, pieces)


def _write(path: Path, pieces: Iterator[bytes]) -> None:
    """Atomically: a temporary file in the target's folder renamed into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".json")
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            for piece in pieces:
                out.write(piece)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_distributor_json(opened: Snapshot, out: Path, *, max_nodes_per_tree: int | None = None,
                           conversion: Conversion | None = None) -> ExportSummary:
    """Write the tree(s); ``out`` is the file, or with ``max_nodes_per_tree`` the folder of
    ``tree_<i>.json`` files. Raises ``ArtifactError`` for an artifact that is not a distributor
    tree and ``distributor.DistributorLimitError`` for a converted amount or total beyond u64."""
    if opened.tree != "distributor":
        raise ArtifactError(f"{opened.path}: holds an {opened.tree} tree; distributor-json needs an artifact "
                            "built with --tree distributor")
    claims, totals = _claims(opened, conversion)
    trees = []
    if max_nodes_per_tree is None:
        if conversion is None:
            pieces, root = _own_tree_json(opened, claims), opened.root()
        else:
            tree = distributor.AirdropTree(claims)
            pieces, root = tree.json_pieces(), tree.root
        _write(out, pieces)
        trees.append(_exported(out, 0, root, claims))
    else:
        for version, run in enumerate(distributor.shard(len(claims), max_nodes_per_tree)):
            tree = distributor.AirdropTree(claims[run.start: run.stop], version)
            path = out / f"tree_{version}.json"
            _write(path, tree.json_pieces())
            trees.append(_exported(path, version, tree.root, tree.claims))
    return ExportSummary(opened.manifest.id, trees, totals)


def _exported(path: Path, version: int, root: bytes, claims: list[distributor.Claim]) -> ExportedTree:
    return ExportedTree(str(path), version, "0x" + root.hex(), len(claims),
                        str(sum(claim.amount + claim.locked_amount for claim in claims)))
