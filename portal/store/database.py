"""The connection pool, and one transaction per unit of work.

``Database.transaction()`` is the only way the domain touches PostgreSQL: it borrows a pooled
connection, commits when the block ends normally and rolls back when it raises, so a write is
always whole or absent. Connection failures become ``UpstreamUnavailableError`` (503).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from portal.errors import UpstreamUnavailableError

POOL_TIMEOUT_SECONDS = 10.0

Connection = psycopg.AsyncConnection[dict]


class Database:
    """An open pool; created and closed by the app's lifespan (or a CLI command)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str, *, size: int = 10) -> Database:
        pool = AsyncConnectionPool(
            url,
            min_size=min(2, size),
            max_size=size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            timeout=POOL_TIMEOUT_SECONDS,
            open=False,
            name="portal",
        )
        await pool.open(wait=True, timeout=POOL_TIMEOUT_SECONDS)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Yield a connection inside one transaction: committed on success, rolled back on error."""
        try:
            async with self.pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise UpstreamUnavailableError("the database is unavailable; try again shortly") from exc

    async def ping(self) -> bool:
        """True when a round trip to the server succeeds (``/ready``)."""
        try:
            async with self.transaction() as conn:
                await conn.execute("SELECT 1")
        except UpstreamUnavailableError:
            return False
        return True
