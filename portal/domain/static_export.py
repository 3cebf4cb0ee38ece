"""Eligibility answers written out for a CDN or a key-value store to serve with no origin at all.

Launch-day traffic is a spike no single origin absorbs; the big claim portals (Wormhole W, Jupiter)
serve proofs as static per-address files or KV entries. Every answer here is
``SnapshotSet.eligibility_json`` of the address, so a file holds byte for byte what
``GET /v1/eligibility/{address}`` answers for the same snapshots and destinations.

Layouts:
- ``files``: ``<out>/<shard>/<address>.json`` for every listed address in canonical form (EIP-55 for
  EVM, base58 for Solana), plus ``<out>/index.json`` (the snapshots, the rule, the counts). The
  shard is the two characters after ``0x`` (lowercase) for EVM and the first two for Solana:
  computable by a client from the address alone, a few hundred to a few thousand folders for a
  million holders. base58 is case-sensitive, so the store must be too (S3, R2, GCS, Linux disks).
- ``kv``: one JSON line per address, ``{"key": address, "value": answer}`` with the answer as a
  string: the shape of a bulk KV upload (Cloudflare's ``wrangler kv bulk put`` takes an array of
  these; Jupiter's ``generate-kv-proof`` fills its KV the same way, keyed by claimant).
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from portal.domain.eligibility import SnapshotSet

INDEX_FORMAT = "migration-portal/static-eligibility/1"
SHARD_RULE = "evm: the 2 hex digits after 0x, lowercase; solana: the first 2 base58 characters"


class StaticSummary(msgspec.Struct, frozen=True):
    format: str
    layout: str
    shard_rule: str
    entries: int
    bytes: int
    snapshots: list[dict]


def shard_of(address: str) -> str:
    return address[2:4].lower() if address.startswith("0x") else address[:2]


def _snapshots(snapshots: SnapshotSet) -> list[dict]:
    """The manifests without their local paths (the index is published)."""
    listed = []
    for manifest in snapshots.manifests:
        fields = msgspec.structs.asdict(manifest)
        fields.pop("path")
        listed.append(fields)
    return listed


def write_files(snapshots: SnapshotSet, out: Path) -> StaticSummary:
    out.mkdir(parents=True, exist_ok=True)
    made: set[str] = set()
    entries = written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    base = str(out)
    for address, body in snapshots.answers():
        shard = shard_of(address)
        folder = f"{base}/{shard}"
        if shard not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(shard)
        fd = os.open(f"{folder}/{address}.json", flags, 0o644)
        try:
            os.write(fd, body)
        finally:
            os.close(fd)
        entries += 1
        written += len(body)
    summary = StaticSummary(INDEX_FORMAT, "{shard}/{address}.json", SHARD_RULE, entries, written,
                            _snapshots(snapshots))
    (out / "index.json").write_bytes(msgspec.json.format(msgspec.json.encode(summary)) + b"\n")
    return summary


_encode = msgspec.json.Encoder().encode


def write_kv(snapshots: SnapshotSet, out: Path) -> StaticSummary:
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = 0
    with out.open("wb", buffering=1 << 20) as file:
        for address, body in snapshots.answers():
            file.write(b'{"key":"%s","value":%s}\n' % (address.encode(), _encode(body.decode())))
            entries += 1
        written = file.tell()
    return StaticSummary(INDEX_FORMAT, "kv lines", "", entries, written, _snapshots(snapshots))
