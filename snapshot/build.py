"""Building an artifact: holder list in, verified ``<sha256>.snap`` out.

Invariant: ``build_artifact`` either returns the manifest of a checked artifact in ``out_dir`` or
raises and leaves nothing behind (the bytes go to a temporary file renamed into place; a bad list
is refused before anything is written).

Speed (issue 2 asks for a million rows in a few seconds): a big CSV list is parsed and its leaves
hashed on every core (forked workers, each returning three packed buffers rather than millions of
pickled objects); the tree is one comprehension per level (``merkle.build_nodes``, or
``distributor.build_nodes`` for the distributor tree, whose leaves keep the list's order); the index is
made of packed records sorted as bytes (a record starts with its key), with a bucket table in front.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sha3

from snapshot import distributor
from snapshot.addresses import Chain
from snapshot.artifact import (
    AMOUNT_BYTES,
    MAX_DECIMALS,
    NODE_BYTES,
    SUFFIX,
    Manifest,
    Snapshot,
    TreeKind,
    bucket_bits_for,
    bucket_starts,
    encode_prefix,
    record_format,
)
from snapshot.errors import HolderListError
from snapshot.holders import UINT256_LIMIT, HolderList, parse_csv_chunk, parse_holder_list, split_csv
from snapshot.merkle import build_nodes

#: Entries whose proofs ``build_artifact`` re-checks from the written file (all of them: ``verify``).
BUILD_SAMPLE_PROOFS = 1000
#: Lists smaller than this are parsed in-process: a worker pool costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 2**20
MAX_WORKERS = 8

Progress = Callable[[int, int], None]


def build_artifact(holders: Path, out_dir: Path, /, *, name: str | None = None, block: int | None = None,
                   progress: Progress | None = None, tree: TreeKind = "oz", decimals: int | None = None,
                   source: dict[str, Any] | None = None) -> Manifest:
    """Parse ``holders``, build the tree, write ``<out_dir>/<sha256>.snap`` atomically, check it, return it.

    ``tree`` picks OpenZeppelin's ``StandardMerkleTree`` (``oz``, for EVM claim contracts) or the
    Solana merkle-distributor's tree (``distributor``: Solana lists only, amounts must fit u64 and
    are refused on their line otherwise). ``decimals`` is the snapshot token's; ``source`` records
    what the list was built from (both land in the header and the manifest).

    Raises ``HolderListError`` (nothing written) for a bad list. ``progress(done, total)`` is called
    after each of five stages. The check after writing re-reads the file: its sha256 must equal
    the hash of the bytes built in memory (so the disk holds exactly what was computed), the root
    must equal the header's, and the leaves and proofs of ``BUILD_SAMPLE_PROOFS`` entries spread over
    the index are recomputed from the written bytes. It does not re-hash every node; ``verify`` does.
    """
    if block is not None and block < 0:
        raise ValueError(f"block (or slot) must not be negative, got {block}")
    if tree not in ("oz", "distributor"):
        raise ValueError(f"tree must be 'oz' or 'distributor', got {tree!r}")
    if decimals is not None and not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be between 0 and {MAX_DECIMALS}, got {decimals}")
    report = progress or (lambda done, total: None)
    chain, keys, amounts_be, leaves, total = _parse_and_hash(Path(holders).read_bytes(), tree)
    count = len(keys)
    report(2, 5)
    if tree == "oz":
        leaf_order = sorted(range(count), key=leaves.__getitem__, reverse=True)
        nodes = build_nodes([leaves[i] for i in leaf_order])
        del leaves
        tree_index = [0] * count
        for position, value_index in enumerate(leaf_order, start=count - 1):
            tree_index[value_index] = position
        del leaf_order
        root = nodes[0]
    else:
        if chain != "solana":
            raise HolderListError([(1, "a distributor tree is for Solana holder lists; this list is EVM "
                                       "(use --tree oz)")])
        if total >= distributor.U64_LIMIT:
            raise HolderListError([(1, f"the amounts total {total}, more than a u64 holds (the distributor's "
                                       "max_total_claim); split the list or use --tree oz")])
        if count > distributor.MAX_NODES:
            raise HolderListError([(1, f"{count} entries; a distributor tree holds at most 2^32 - 1 nodes "
                                       "(split the list)")])
        nodes = distributor.build_nodes(leaves)
        del leaves
        tree_index = range(count)
        root = nodes[-1]
    report(3, 5)
    records = list(map(record_format(len(keys[0])).pack, keys, amounts_be, tree_index))
    del tree_index, amounts_be
    records.sort()  # keys are unique and lead each record, so this is the key order
    report(4, 5)
    prefix = encode_prefix(chain=chain, name=Path(holders).stem if name is None else name, block=block,
                           entries=count, total=total, merkle_root=root, key_bytes=len(keys[0]), tree=tree,
                           decimals=decimals, source=source)
    sections = (prefix, bucket_starts(records, bucket_bits_for(count)), b"".join(records), b"".join(nodes))
    del nodes, keys, records
    digest = hashlib.sha256()
    for section in sections:
        digest.update(section)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{digest.hexdigest()}{SUFFIX}"
    fd, tmp_name = tempfile.mkstemp(dir=out_dir, prefix=".building-", suffix=SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            for section in sections:
                out.write(section)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    with Snapshot.open(final) as written:
        written.verify_sample(BUILD_SAMPLE_PROOFS, file_hash=True)
        manifest = written.manifest
    report(5, 5)
    return manifest


_Parsed = tuple[Chain, list[bytes], list[bytes], list[bytes], int]


def _hash_rows(holders: HolderList, tree: TreeKind) -> _Parsed:
    """Keys, ABI-encoded amounts and leaves (of ``tree``) of valid rows, in input order, and the total."""
    amounts_be = [amount.to_bytes(AMOUNT_BYTES) for amount in holders.amounts]
    if tree == "oz":
        keccak = sha3.keccak_256
        leaves = [keccak(keccak(key.rjust(32, b"\0") + amount).digest()).digest()
                  for key, amount in zip(holders.keys, amounts_be, strict=True)]
    else:
        sha256 = hashlib.sha256
        # distributor.leaf_hash inlined: sha256(0x00 ‖ sha256(key ‖ u64_le(amount) ‖ u64_le(0))).
        locked = bytes(8)
        leaves = [sha256(b"\0" + sha256(key + amount.to_bytes(8, "little") + locked).digest()).digest()
                  for key, amount in zip(holders.keys, holders.amounts, strict=True)]
    return holders.chain, holders.keys, amounts_be, leaves, sum(holders.amounts)


def _limits(tree: TreeKind) -> tuple[int, str]:
    return (distributor.U64_LIMIT, "u64") if tree == "distributor" else (UINT256_LIMIT, "uint256")


def _hash_chunk(job: tuple[bytes, int, TreeKind]) -> tuple[Chain, bytes, bytes, bytes, int, int] | None:
    """A worker's share, packed into three buffers: one pickled bytes object each, not millions."""
    chunk, lines_before, tree = job
    try:
        chain, keys, amounts_be, leaves, total = _hash_rows(parse_csv_chunk(chunk, lines_before, *_limits(tree)), tree)
    except HolderListError:
        return None
    return chain, b"".join(keys), b"".join(amounts_be), b"".join(leaves), total, len(keys[0])


def _unpack(buffer: bytes, width: int) -> list[bytes]:
    return [buffer[i: i + width] for i in range(0, len(buffer), width)]


def _parse_and_hash(data: bytes, tree: TreeKind) -> _Parsed:
    """Parse and hash on every core for a big CSV list; any problem falls back to the serial parser.

    Chunks check their own rows; the whole-list rules (one chain, no duplicate across chunks) are
    checked here. When anything is wrong the serial ``parse_holder_list`` runs, so the report (every
    bad row, exact line numbers) is always the same whichever path found the problem.
    """
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(data) >= PARALLEL_MIN_BYTES and workers > 1 and (jobs := split_csv(data, workers)):
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        with context.Pool(len(jobs)) as pool:
            results = pool.map(_hash_chunk, [(chunk, lines, tree) for chunk, lines in jobs])
        chunks = [result for result in results if result is not None]
        if len(chunks) == len(results) and len({chunk[0] for chunk in chunks}) == 1:
            keys = _unpack(b"".join(chunk[1] for chunk in chunks), chunks[0][5])
            if len(set(keys)) == len(keys):
                return (chunks[0][0], keys, _unpack(b"".join(chunk[2] for chunk in chunks), AMOUNT_BYTES),
                        _unpack(b"".join(chunk[3] for chunk in chunks), NODE_BYTES),
                        sum(chunk[4] for chunk in chunks))
    limit, limit_name = _limits(tree)
    return _hash_rows(parse_holder_list(data, amount_limit=limit, limit_name=limit_name), tree)
