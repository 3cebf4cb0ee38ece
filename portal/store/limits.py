"""Rate-limit counters in PostgreSQL, shared by every process and host on one database.

One statement per counted request, atomic by the primary key: concurrent requests from any number
of replicas each get a distinct ``n``, so a limit of 10 admits exactly 10 per window however many
processes serve. Fixed windows on the database's clock (hosts need not agree on the time). Litestar's
``Store`` has no atomic increment (litestar#4700), which is why this is not a ``Store``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from typing import Any, Protocol

import psycopg

from portal.errors import UpstreamUnavailableError
from portal.store.database import CONNECT_TIMEOUT_SECONDS, Connection, Database

Cursor = psycopg.AsyncCursor[tuple[Any, ...]]  # rows as tuples: the hot path reads two columns

_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}

WINDOW_SECONDS = 60  # every limit counts per minute

_HIT = """
INSERT INTO rate_limit_counts AS c (key, window_start, expires_at, n)
SELECT %(key)s, w.start, w.start + %(period)s, 1
FROM (SELECT floor(extract(epoch FROM now()) / %(period)s)::bigint * %(period)s AS start) AS w
ON CONFLICT (key, window_start) DO UPDATE SET n = c.n + 1
RETURNING n, c.expires_at - extract(epoch FROM now())::float8 AS reset_in
"""

# The same upsert for every hit queued while the previous statement was out: each distinct key
# once, bumped by its number of hits, in key order (every process locks rows in the same order, so
# two batches cannot deadlock).
_HIT_MANY = """
INSERT INTO rate_limit_counts AS c (key, window_start, expires_at, n)
SELECT k.key, w.start, w.start + %(period)s, k.hits
FROM (SELECT key, count(*)::integer AS hits FROM unnest(%(keys)s::text[]) AS key GROUP BY key ORDER BY key) AS k,
     (SELECT floor(extract(epoch FROM now()) / %(period)s)::bigint * %(period)s AS start) AS w
ON CONFLICT (key, window_start) DO UPDATE SET n = c.n + excluded.n
RETURNING c.key, c.n, c.expires_at - extract(epoch FROM now())::float8 AS reset_in
"""

BATCH_MAX = 512  # hits per statement; more wait for the next one


async def hit(cursor: Cursor, key: str, period_seconds: int) -> tuple[int, int]:
    """Count one request for ``key`` in the current window: ``(n so far, seconds until the window ends)``."""
    await cursor.execute(_HIT, {"key": key, "period": period_seconds}, prepare=True)
    row = await cursor.fetchone()
    assert row is not None
    return row[0], max(1, math.ceil(row[1]))


async def hit_many(cursor: Cursor, keys: list[str], period_seconds: int) -> list[tuple[int, int]]:
    """Count one request per item of ``keys`` (a key may repeat) in one statement: for each item, in
    order, ``(n so far, seconds until the window ends)``; repeats of a key get consecutive numbers."""
    await cursor.execute(_HIT_MANY, {"keys": keys, "period": period_seconds}, prepare=True)
    ends = {key: (n, max(1, math.ceil(reset_in))) for key, n, reset_in in await cursor.fetchall()}
    before = collections.Counter(keys)  # the numbers below each key's final n are this batch's too
    counted = []
    for key in keys:
        n, reset_in = ends[key]
        counted.append((n - before[key] + 1, reset_in))
        before[key] -= 1
    return counted


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
    """Counters in ``rate_limit_counts``, shared by every process on the database.

    One connection of its own, in autocommit (the upsert is atomic alone): no pool checkout and no
    BEGIN/COMMIT (measured: the pool's way cost about a quarter of a challenge's throughput). One
    statement is out at a time; the hits that arrive meanwhile go together in the next one
    (``hit_many``). Measured: one statement per hit, in turn, was the bottleneck under load (on a
    busy host a round trip took 1-3 ms, so hits queued 10-200 ms); batched, a worker's hits cost a
    round trip per batch. A broken connection is replaced once, then the database is down.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._cursor: Cursor | None = None  # the connection's one cursor, kept: one less object per statement
        self._queued: dict[int, list[tuple[str, asyncio.Future[tuple[int, int]]]]] = {}  # by period
        self._sender: asyncio.Task[None] | None = None

    async def _connection(self) -> Cursor:
        if self._conn is None or self._conn.closed or self._cursor is None:
            self._conn = await psycopg.AsyncConnection.connect(
                self.db.pool.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **_KEEPALIVES)
            self._cursor = self._conn.cursor()
        return self._cursor

    async def hit(self, key: str, period_seconds: int) -> tuple[int, int]:
        counted: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._queued.setdefault(period_seconds, []).append((key, counted))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_queued(), name="portal-limit-hits")
        return await counted  # a request cancelled meanwhile is still counted: it was made

    async def _send_queued(self) -> None:
        await asyncio.sleep(0)  # let the requests that are ready now queue their hits too
        while self._queued:
            period_seconds, queued = next(iter(self._queued.items()))
            batch, rest = queued[:BATCH_MAX], queued[BATCH_MAX:]
            if rest:
                self._queued[period_seconds] = rest
            else:
                del self._queued[period_seconds]
            try:
                results = await self._hit_many([key for key, _ in batch], period_seconds)
            except asyncio.CancelledError:  # closing: nobody will answer these
                for _, counted in batch:
                    counted.cancel()
                raise
            except Exception as exc:  # every waiter of the batch gets it (a 503 when the database is down)
                for _, counted in batch:
                    if not counted.done():
                        counted.set_exception(exc)
                continue
            for (_, counted), result in zip(batch, results, strict=True):
                if not counted.done():
                    counted.set_result(result)

    async def _hit_many(self, keys: list[str], period_seconds: int) -> list[tuple[int, int]]:
        for attempt in (1, 2):
            try:
                cursor = await self._connection()
                if len(keys) == 1:  # the statement alone is cheaper than its batched form
                    return [await hit(cursor, keys[0], period_seconds)]
                return await hit_many(cursor, keys, period_seconds)
            except psycopg.OperationalError as exc:
                await self._close_connection()
                if attempt == 2:
                    raise UpstreamUnavailableError("the database is unavailable; try again shortly") from exc
        raise AssertionError("unreachable")

    async def sweep(self) -> int:
        async with self.db.transaction() as conn:
            return await sweep(conn)

    async def close(self) -> None:
        if self._sender is not None and not self._sender.done():
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        for queued in self._queued.values():
            for _, counted in queued:
                counted.cancel()
        self._queued.clear()
        await self._close_connection()

    async def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = self._cursor = None


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
