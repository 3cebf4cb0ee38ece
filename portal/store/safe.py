"""A Safe challenge's recorded state and the owners' signatures gathered for it (method ``safe``).

One signature per owner per challenge is the database's rule (the primary key); a second one is
reported as ``False``, never as a psycopg error.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("safe.sql")
ONE_SIGNATURE_PER_OWNER = "safe_signatures_pkey"


async def insert_challenge(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(QUERIES["insert_safe_challenge"], {**values, "owners": Jsonb(values["owners"])})


async def get_challenge(conn: Connection, challenge_id: uuid.UUID) -> dict[str, Any] | None:
    return await (await conn.execute(QUERIES["get_safe_challenge"], {"challenge_id": challenge_id})).fetchone()


async def insert_signature(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert; False (and nothing written) when this owner already signed for this challenge."""
    try:
        async with conn.transaction():  # a savepoint: the outer transaction survives the violation
            await conn.execute(QUERIES["insert_safe_signature"], values)
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == ONE_SIGNATURE_PER_OWNER:
            return False
        raise
    return True


async def signatures_of(conn: Connection, challenge_id: uuid.UUID) -> list[dict[str, Any]]:
    return await (await conn.execute(QUERIES["safe_signatures_of"], {"challenge_id": challenge_id})).fetchall()
