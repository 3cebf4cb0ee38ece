"""Rate-limit counters in PostgreSQL, shared by every process and host on one database.

One statement per counted request, atomic by the primary key: concurrent requests from any number
of replicas each get a distinct ``n``, so a limit of 10 admits exactly 10 per window however many
processes serve. Fixed windows on the database's clock (hosts need not agree on the time). Litestar's
``Store`` has no atomic increment (litestar#4700), which is why this is not a ``Store``.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from portal.store.database import Connection, Database

WINDOW_SECONDS = 60  # every limit counts per minute

_HIT = """
INSERT INTO rate_limit_counts AS c (key, window_start, expires_at, n)
SELECT %(key)s, w.start, w.start + %(period)s, 1
FROM (SELECT floor(extract(epoch FROM now()) / %(period)s)::bigint * %(period)s AS start) AS w
ON CONFLICT (key, window_start) DO UPDATE SET n = c.n + 1
RETURNING n, c.expires_at - extract(epoch FROM now())::float8 AS reset_in
"""


async def hit(conn: Connection, key: str, period_seconds: int) -> tuple[int, int]:
    """Count one request for ``key`` in the current window: ``(n so far, seconds until the window ends)``."""
    cursor = await conn.execute(_HIT, {"key": key, "period": period_seconds}, prepare=True)
    row = await cursor.fetchone()
    assert row is not None
    return int(row["n"]), max(1, math.ceil(row["reset_in"]))


async def sweep(conn: Connection) -> int:
    """Delete the windows that have ended; how many rows went."""
    cursor = await conn.execute("DELETE FROM rate_limit_counts WHERE expires_at <= extract(epoch FROM now())")
    return cursor.rowcount


class Limiter(Protocol):
    async def hit(self, key: str, period_seconds: int) -> tuple[int, int]:
        """Count one request: ``(requests in this window so far, seconds until it ends)``."""

    async def sweep(self) -> int:
        """Forget the windows that have ended."""


class PostgresLimiter:
    """Counters in ``rate_limit_counts``, shared by every process on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hit(self, key: str, period_seconds: int) -> tuple[int, int]:
        async with self.db.transaction() as conn:
            return await hit(conn, key, period_seconds)

    async def sweep(self) -> int:
        async with self.db.transaction() as conn:
            return await sweep(conn)


class MemoryLimiter:
    """Counters in this process (atomic within its event loop); each process counts on its own."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, period_seconds: int) -> tuple[int, int]:
        now = time.time()
        start = int(now // period_seconds) * period_seconds
        n = self.counts[(key, start)] = self.counts.get((key, start), 0) + 1
        return n, max(1, int(start + period_seconds - now + 0.999))

    async def sweep(self) -> int:
        now = time.time()
        ended = [k for k in self.counts if k[1] + WINDOW_SECONDS <= now]
        for k in ended:
            del self.counts[k]
        return len(ended)
