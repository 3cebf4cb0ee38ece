"""Issue 24: rate limits counted in PostgreSQL, so every process on one database shares one count.

Two apps on one database stand for two replicas (they share nothing else in this process: each has
its own pool, runtime and middleware). The two-process version is ``tests/e2e/test_replicas.py``.
"""

from __future__ import annotations

import asyncio
import re

import msgspec
import psycopg
from litestar.testing import TestClient
from psycopg.rows import tuple_row

from portal.app import create_app
from portal.settings import Settings
from portal.store import limits
from portal.store.database import Database, app_role_url

DESTINATION = "0x000000000000000000000000000000000000dEaD"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
BAD_CHALLENGE = {"address": "bad", "destination": DESTINATION, "method": "eip191"}


def counts(database_url: str) -> list[tuple[str, int]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT key, n FROM rate_limit_counts ORDER BY key").fetchall()


def test_two_apps_on_one_database_share_the_holders_limit(settings: Settings, database_url: str) -> None:
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=4)
    with TestClient(app=create_app(limited)) as one, TestClient(app=create_app(limited)) as other:
        statuses = [(one if i % 2 else other).post("/v1/challenges", json=BAD_CHALLENGE).status_code
                    for i in range(8)]
        remaining = [one.post("/v1/challenges", json=BAD_CHALLENGE).headers.get("ratelimit-remaining")]
    assert statuses == [400, 400, 400, 400, 429, 429, 429, 429]   # 4 across both, not 4 each
    assert remaining == ["0"]
    assert counts(database_url) == [("holders:testclient", 9)]


def test_the_sign_in_limit_is_shared_too(settings: Settings, database_url: str) -> None:
    limited = msgspec.structs.replace(settings, staff_sign_in_per_minute=3, csrf_secret="s" * 32)
    statuses = []
    with TestClient(app=create_app(limited), base_url="https://testserver.local") as one, \
            TestClient(app=create_app(limited), base_url="https://testserver.local") as other:
        token = CSRF_FIELD.search(one.get("/staff").text).group(1)  # type: ignore[union-attr]
        other.cookies = one.cookies   # one browser; its form, made by one app, is accepted by the other
        for i in range(5):
            client = one if i % 2 else other
            statuses.append(client.post("/staff/sign-in", data={"api_key": "wrong", "_csrf_token": token},
                                        headers={"Origin": "https://portal.example.org"}).status_code)
    assert statuses == [401, 401, 401, 429, 429]
    assert [key for key, _ in counts(database_url)] == ["staff_sign_in:testclient"]


def test_uncounted_routes_write_nothing(settings: Settings, database_url: str) -> None:
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=2)
    with TestClient(app=create_app(limited)) as client:
        for _ in range(5):
            assert client.get("/health").status_code == 200
            assert client.get("/v1/snapshots").status_code == 200
            assert client.get("/v1/challenges").status_code == 405  # a GET of a counted path is not counted
    assert counts(database_url) == []


def test_concurrent_hits_from_two_pools_each_get_their_own_number(database_url: str) -> None:
    async def run() -> list[int]:
        first = await Database.open(app_role_url(database_url), size=8)
        second = await Database.open(app_role_url(database_url), size=8)
        try:
            async def one(db: Database) -> int:
                async with db.transaction() as conn:
                    return (await limits.hit(conn.cursor(row_factory=tuple_row), "k", 60))[0]
            return await asyncio.gather(*(one(first if i % 2 else second) for i in range(60)))
        finally:
            await first.close()
            await second.close()

    assert sorted(asyncio.run(run())) == list(range(1, 61))


def test_sweep_deletes_only_ended_windows(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO rate_limit_counts VALUES ('old', 0, 60, 7), "
                     "('live', 0, extract(epoch FROM now())::bigint + 60, 1)")

    async def run() -> int:
        db = await Database.open(app_role_url(database_url), size=1)   # as the app's role: it may delete
        try:
            return await limits.PostgresLimiter(db).sweep()
        finally:
            await db.close()

    assert asyncio.run(run()) == 1
    assert counts(database_url) == [("live", 1)]


def test_one_statement_numbers_the_repeats_of_a_key_in_order(database_url: str) -> None:
    async def run() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        async with await psycopg.AsyncConnection.connect(app_role_url(database_url), autocommit=True) as conn:
            first = await limits.hit_many(conn.cursor(), ["a", "b", "a", "a"], 60)
            return first, await limits.hit_many(conn.cursor(), ["b", "a"], 60)

    first, second = asyncio.run(run())
    assert [n for n, _ in first] == [1, 1, 2, 3] and [n for n, _ in second] == [2, 4]
    assert all(1 <= reset_in <= 60 for _, reset_in in first + second)
    assert counts(database_url) == [("a", 4), ("b", 2)]


class RecordedBatches(limits.PostgresLimiter):
    """The real limiter, remembering how many hits each statement carried."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.batches: list[int] = []

    async def _hit_many(self, keys: list[str], period_seconds: int) -> list[tuple[int, int]]:
        self.batches.append(len(keys))
        return await super()._hit_many(keys, period_seconds)


def test_batched_hits_from_two_limiters_each_get_their_own_number(database_url: str) -> None:
    async def run() -> tuple[list[tuple[str, int]], list[int]]:
        first = await Database.open(app_role_url(database_url), size=1)
        second = await Database.open(app_role_url(database_url), size=1)
        one, other = RecordedBatches(first), RecordedBatches(second)
        try:
            async def count(i: int) -> tuple[str, int]:
                key = f"k{i % 3}"
                return key, (await (one if i % 2 else other).hit(key, 60))[0]
            counted = await asyncio.gather(*(count(i) for i in range(300)))
            return counted, one.batches + other.batches
        finally:
            await one.close()
            await other.close()
            await first.close()
            await second.close()

    counted, batches = asyncio.run(run())
    for key in ("k0", "k1", "k2"):  # each hit its own number, across both, with no gap
        assert sorted(n for k, n in counted if k == key) == list(range(1, 101))
    assert sum(batches) == 300 and len(batches) < 300 / 10   # in few statements, not one each
    assert counts(database_url) == [("k0", 100), ("k1", 100), ("k2", 100)]


def test_a_lost_connection_is_replaced_and_its_batch_counted(database_url: str) -> None:
    async def run() -> list[int]:
        db = await Database.open(app_role_url(database_url), size=1)
        limiter = limits.PostgresLimiter(db)
        try:
            await limiter.hit("k", 60)
            with psycopg.connect(database_url, autocommit=True) as owner:   # the server drops it
                owner.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE usename = 'portal_app' AND pid <> pg_backend_pid()")
            return [n for n, _ in await asyncio.gather(*(limiter.hit("k", 60) for _ in range(20)))]
        finally:
            await limiter.close()
            await db.close()

    assert sorted(asyncio.run(run())) == list(range(2, 22))
