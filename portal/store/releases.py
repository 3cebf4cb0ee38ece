"""Published releases: the exact signed document, the exact entries file, and the requests each holds.

Invariants: (destination_chain, number) is unique and releases of a chain are written under a
per-chain advisory lock, so two publishers racing for "the next release" cannot both succeed; a
request is held by at most one release (``release_requests`` is keyed by the request), so the
approvals a release freezes are never frozen again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec
import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from policy.release_corrections import CorrectionNote
from portal.errors import ConflictError
from portal.store.database import Connection
from portal.store.policies import StoredSignature
from portal.store.queries import load_queries

QUERIES = load_queries("releases.sql")


class UnreleasedApproval(msgspec.Struct, frozen=True):
    """An approved request no published release holds yet (``amount`` in snapshot base units)."""

    id: uuid.UUID
    snapshot_id: str
    snapshot_address: str
    destination: str
    amount: int
    case_id: uuid.UUID | None = None  # an upheld case's correction (issue 23), not a request
    proof_chain_id: int | None = None  # the chain a contract wallet proved on (None: a key's proof)
    note: CorrectionNote | None = None  # a correction's kind, exclude-list category and public reason


class StoredRelease(msgspec.Struct, frozen=True):
    """A published release without its entries file (that is read on its own: it can be megabytes)."""

    destination_chain: str
    number: int
    document: bytes
    sha256: str
    prev: str
    tree: str
    merkle_root: str
    entry_count: int
    total: int
    decimals: int
    distributor: str
    claim_deadline: dt.datetime | None
    entries_sha256: str
    signatures: list[StoredSignature]
    root_version: int
    published_at: dt.datetime
    program: str = ""


class NewRelease(msgspec.Struct, frozen=True):
    destination_chain: str
    number: int
    document: bytes
    sha256: str
    prev: str
    entries_file: bytes
    entries_sha256: str
    tree: str
    merkle_root: str
    entry_count: int
    total: int
    decimals: int
    distributor: str
    claim_deadline: dt.datetime | None
    signatures: list[StoredSignature]
    root_version: int
    published_by: str
    published_at: dt.datetime
    program: str = ""


def _row(row: dict[str, Any]) -> StoredRelease:
    return msgspec.convert({**row, "document": bytes(row["document"]), "total": int(row["total"])}, StoredRelease)


async def lock_chain(conn: Connection, chain: str) -> None:
    await conn.execute(QUERIES["lock_chain"], {"chain": chain})


async def unreleased_approved(conn: Connection, chain: str) -> list[UnreleasedApproval]:
    """Approved requests to ``chain`` that no release holds, by snapshot then snapshot address."""
    # Plain tuples: a release may hold 100,000 rows, and a dict per row is a fifth of reading them.
    cursor = conn.cursor(row_factory=tuple_row)
    await cursor.execute(QUERIES["unreleased_approved"], {"chain": chain})
    return [UnreleasedApproval(request_id, snapshot_id, snapshot_address, destination, int(amount), None, chain_id)
            for request_id, snapshot_id, snapshot_address, destination, amount, chain_id in await cursor.fetchall()]


async def insert(conn: Connection, release: NewRelease, held: Iterable[tuple[uuid.UUID, int]],
                 corrections: Iterable[uuid.UUID] = ()) -> None:
    """Store the release, the requests it holds (``(request id, entry index)``, copied in bulk) and the
    corrections (case ids) it carries."""
    values = msgspec.structs.asdict(release)
    values["signatures"] = Jsonb(msgspec.to_builtins(release.signatures))
    values["total"] = Decimal(release.total)
    try:
        await conn.execute(QUERIES["insert_release"], values)
        suffix = f"\t{release.destination_chain}\t{release.number}\t"
        async with conn.cursor().copy(QUERIES["copy_release_requests"]) as copy:  # COPY's text format, at once
            await copy.write("".join(f"{request_id}{suffix}{index}\n" for request_id, index in held))
        await conn.execute(QUERIES["carry_corrections"], {"chain": release.destination_chain,
                                                          "number": release.number, "case_ids": list(corrections)})
    except psycopg.errors.UniqueViolation:
        raise ConflictError(f"release {release.number} of {release.destination_chain} (or one of its requests) is "
                            "already published", field="document", code="release_exists") from None


async def unreleased_corrections(conn: Connection, chain: str) -> list[UnreleasedApproval]:
    """Upheld corrections to ``chain`` no release carries yet, with their case's snapshot (issue 23)."""
    rows = await (await conn.execute(QUERIES["unreleased_corrections"], {"chain": chain})).fetchall()
    return [UnreleasedApproval(r["case_id"], r["snapshot_id"], r["address"], r["destination"], int(r["amount"]),
                               r["case_id"], r["proof_chain_id"], CorrectionNote(r["kind"], r["category"], r["reason"]))
            for r in rows]


async def latest(conn: Connection, chain: str) -> StoredRelease | None:
    row = await (await conn.execute(QUERIES["latest"], {"chain": chain})).fetchone()
    return _row(row) if row else None


async def all_releases(conn: Connection) -> list[StoredRelease]:
    return [_row(r) for r in await (await conn.execute(QUERIES["list"])).fetchall()]


async def get(conn: Connection, chain: str, number: int) -> StoredRelease | None:
    row = await (await conn.execute(QUERIES["get"], {"chain": chain, "number": number})).fetchone()
    return _row(row) if row else None


async def entries_file(conn: Connection, chain: str, number: int) -> bytes | None:
    row = await (await conn.execute(QUERIES["entries_file"], {"chain": chain, "number": number})).fetchone()
    return bytes(row["entries_file"]) if row else None



class ToSync(msgspec.Struct, frozen=True):
    destination_chain: str
    number: int
    distributor: str
    program: str
    synced_block: int | None
    entry_count: int
    sha256: str
    tree: str


class ClaimRow(msgspec.Struct, frozen=True):
    index: int
    claimed_at: dt.datetime
    tx: str | None
    block: int



async def to_sync(conn: Connection, chain: str) -> list[ToSync]:
    """Published releases of ``chain`` that name a distributor, with where their sync stands."""
    rows = await (await conn.execute(QUERIES["to_sync"], {"chain": chain})).fetchall()
    return [msgspec.convert(row, ToSync) for row in rows]


async def record_claims(conn: Connection, chain: str, number: int, claims: list[ClaimRow]) -> None:
    """Store claims read from the chain (a claim seen twice is stored once)."""
    async with conn.cursor() as cursor:
        await cursor.executemany(QUERIES["insert_claim"], [
            {"chain": chain, "number": number, "index": c.index, "claimed_at": c.claimed_at, "tx": c.tx,
             "block": c.block} for c in claims])


async def mark_synced(conn: Connection, chain: str, number: int, block: int, at: dt.datetime) -> None:
    await conn.execute(QUERIES["mark_synced"], {"chain": chain, "number": number, "block": block, "at": at})



async def claimed_indices(conn: Connection, chain: str, number: int) -> set[int]:
    cursor = conn.cursor(row_factory=tuple_row)
    await cursor.execute(QUERIES["claimed_indices"], {"chain": chain, "number": number})
    return {index for (index,) in await cursor.fetchall()}


async def synced_at(conn: Connection, chain: str, number: int) -> dt.datetime | None:
    row = await (await conn.execute(QUERIES["synced_at"], {"chain": chain, "number": number})).fetchone()
    return row["synced_at"] if row else None


class HeldRequest(msgspec.Struct, frozen=True):
    """The release entry holding one request and its claim status (read with the request:
    ``requests.holder_page_row``)."""

    destination_chain: str
    number: int
    entry_index: int
    sha256: str
    tree: str
    merkle_root: str
    distributor: str
    program: str
    decimals: int
    claim_deadline: dt.datetime | None
    synced_at: dt.datetime | None
    claimed_at: dt.datetime | None
    claim_tx: str | None



class HeldBack(msgspec.Struct, frozen=True):
    """An approval to an EVM destination held back from this server's releases: proven on another chain id."""

    request_id: uuid.UUID
    snapshot_address: str
    destination: str
    proof_chain_id: int


async def held_back(conn: Connection, chain_id: int, limit: int) -> list[HeldBack]:
    rows = await (await conn.execute(QUERIES["held_back"], {"chain_id": chain_id, "limit": limit})).fetchall()
    return [HeldBack(r["id"], r["snapshot_address"], r["destination"], r["proof_chain_id"]) for r in rows]
