"""The snapshot artifact's bytes: one immutable, content-addressed file, read through mmap.

Layout (all offsets from the start of the file; integers little-endian unless said):

    0        8 bytes   magic  b"MPSNAP\\x00\\x03"  (format version 3)
    8        u32       header length H
    12       H bytes   header: JSON {format, chain, tree, name, block, entries, total, decimals, source,
                        merkle_root, key_bytes, record_bytes, bucket_bits, buckets_offset, index_offset,
                        tree_offset}
    ...      zero padding to a multiple of 8
    buckets  2**b + 1 u32: bucket t holds the records whose key's top b bits equal t, and starts at
             record ``buckets[t]`` (the last slot is n); b = ``bucket_bits``, about log2(n) - 4
    index    n records sorted by raw key: key (20 bytes EVM / 32 bytes Solana) ‖ amount (uint256,
             32 bytes big-endian, as ABI encodes it) ‖ leaf index (u32); see ``record_format``
    tree     the tree's node array, 32 bytes a node, whose layout ``tree`` names (one class each in
             ``snapshot.artifact.trees``):
             ``oz``: 2n - 1 nodes, OpenZeppelin's ``tree`` array (root first, leaves last); the
             leaf index is OZ's ``treeIndex``;
             ``distributor``: the merkle-distributor's ``MerkleTree::nodes`` (levels bottom-up,
             leaves first in input order, root last; ``snapshot.distributor.node_count(n)`` nodes);
             the leaf index is the entry's position in the holder list.

``decimals`` is the snapshot token's decimals (None when the build was not told); ``source`` says
what the list was built from (None for a file given by hand). Format 3 added ``tree``, ``decimals``
and ``source``; older files are refused with a hint to rebuild.

Why the bucket table: a lookup is a random read into a file of ~120 MB for a million holders, and
under load each page it touches costs microseconds. Entered through the bucket table, the search is
one run of ~16 records (~900 contiguous bytes, one or two pages, searched in place with
``mmap.find``) that also holds the amount, where a binary search touched ~20 pages.

The file is named ``<sha256 of its bytes>.snap``. The invariants it keeps are listed, and checked, in
``snapshot.artifact.verifier``; this module only writes and reads the framing.
"""

from __future__ import annotations

import bisect
import re
import struct
from pathlib import Path
from typing import Any, Literal

import msgspec

from snapshot.addresses import Chain

TreeKind = Literal["oz", "distributor"]
MAGIC_PREFIX = b"MPSNAP\x00"
FORMAT_VERSION = 3
MAGIC = MAGIC_PREFIX + bytes([FORMAT_VERSION])
AMOUNT_BYTES = 32
NODE_BYTES = 32
VALUE_FORMAT = struct.Struct(f"<{AMOUNT_BYTES}sI")  # the part of a record after its key
BUCKET_FORMAT = struct.Struct("<II")
#: Keys per bucket aimed at: a bucket's run of records (~900 bytes for EVM) is searched with ``mmap.find``.
KEYS_PER_BUCKET = 16
MAX_BUCKET_BITS = 24
SUFFIX = ".snap"
#: Token decimals a header may declare (SPL mints hold a u8; 77 digits already exceed uint256).
MAX_DECIMALS = 77
_CONTENT_ADDRESSED_STEM = re.compile(r"[0-9a-f]{64}")


class PublicManifest(msgspec.Struct, frozen=True):
    """What ``GET /v1/snapshots`` shows of an artifact; ``id`` is the first 16 hex digits of ``sha256``
    (which names the file: public answers name no server paths)."""

    id: str
    chain: Chain
    tree: TreeKind
    name: str
    block: int | None
    entries: int
    total: str
    decimals: int | None
    merkle_root: str
    sha256: str
    source: dict[str, Any] | None = None


class Manifest(PublicManifest, frozen=True, kw_only=True):
    """The manifest with the artifact's place on this host (``path``), which stays on the host."""

    path: str

    def public(self) -> PublicManifest:
        return PublicManifest(**{name: getattr(self, name) for name in PublicManifest.__struct_fields__})


class Entry(msgspec.Struct, frozen=True):
    """One holder: ``leaf_index`` and ``proof`` as the artifact's tree defines them (OZ: ``treeIndex``
    and ``getProof``; distributor: position in the list and ``get_proof``)."""

    address: str
    amount: int
    leaf_index: int
    proof: list[str]


class Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The JSON header, as written: what every reader trusts only after ``reader.read_header`` checked it."""

    format: int
    chain: Chain
    tree: TreeKind
    name: str
    block: int | None
    entries: int
    total: str
    decimals: int | None
    source: dict[str, Any] | None
    merkle_root: str
    key_bytes: int
    record_bytes: int
    bucket_bits: int
    buckets_offset: int
    index_offset: int
    tree_offset: int


header_decoder = msgspec.json.Decoder(Header)


def _align8(n: int) -> int:
    return (n + 7) & ~7


def bucket_bits_for(entries: int) -> int:
    """Top key bits that pick a bucket: about ``KEYS_PER_BUCKET`` keys each for uniformly spread keys."""
    return max(0, min(MAX_BUCKET_BITS, entries.bit_length() - KEYS_PER_BUCKET.bit_length() + 1))


def record_format(key_bytes: int) -> struct.Struct:
    """One index record: key, amount (uint256 big-endian, as ABI encodes it), treeIndex (u32 little-endian)."""
    return struct.Struct(f"<{key_bytes}s{AMOUNT_BYTES}sI")


def bucket_starts(sorted_records: list[bytes], bits: int) -> bytes:
    """The bucket table of records (or bare keys) sorted by key: ``2**bits + 1`` u32 record numbers.

    A record starts with its key, so a 4-byte prefix orders against records as against keys.
    """
    shift = 32 - bits
    starts = [bisect.bisect_left(sorted_records, (bucket << shift).to_bytes(4)) for bucket in range(1 << bits)]
    starts.append(len(sorted_records))
    return struct.pack(f"<{len(starts)}I", *starts)


def section_layout(header_length: int, entries: int, key_bytes: int, bits: int) -> dict[str, int]:
    """Record size and section offsets: they follow from the header's length and the counts alone."""
    buckets = _align8(len(MAGIC) + 4 + header_length)
    index = buckets + ((1 << bits) + 1) * 4
    record_bytes = record_format(key_bytes).size
    return {"record_bytes": record_bytes, "buckets_offset": buckets, "index_offset": index,
            "tree_offset": index + entries * record_bytes}


def encode_prefix(*, chain: Chain, name: str, block: int | None, entries: int, total: int, merkle_root: bytes,
                  key_bytes: int, tree: TreeKind = "oz", decimals: int | None = None,
                  source: dict[str, Any] | None = None) -> bytes:
    """Magic, header length, JSON header and padding: every byte of the file before the bucket table."""
    bits = bucket_bits_for(entries)
    fields = {"format": FORMAT_VERSION, "chain": chain, "tree": tree, "name": name, "block": block,
              "entries": entries, "total": str(total), "decimals": decimals, "source": source,
              "merkle_root": "0x" + merkle_root.hex(), "key_bytes": key_bytes,
              "bucket_bits": bits, **section_layout(0, entries, key_bytes, bits)}
    # The offsets depend on the header's length, which depends on the offsets' digits: iterate to the
    # fixed point (the length only grows, by a few digits, so two or three rounds settle it).
    while True:
        header = msgspec.json.encode(fields)
        layout = section_layout(len(header), entries, key_bytes, bits)
        if all(fields[key] == value for key, value in layout.items()):
            break
        fields.update(layout)
    prefix = MAGIC + len(header).to_bytes(4, "little") + header
    return prefix.ljust(fields["buckets_offset"], b"\0")


def is_content_addressed(path: Path) -> bool:
    """Whether the file is named ``<64 hex digits>.snap``, so its name is its sha256 (checked by ``verify``)."""
    return path.suffix == SUFFIX and _CONTENT_ADDRESSED_STEM.fullmatch(path.stem) is not None
