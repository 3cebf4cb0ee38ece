"""The connection pool, and one transaction per unit of work.

``Database.transaction()`` is the only way the domain touches PostgreSQL: it borrows a pooled
connection, commits when the block ends normally and rolls back when it raises, so a write is
always whole or absent. Connection failures become ``UpstreamUnavailableError`` (503).

Outages are bounded (issue 10): a request waits at most ``POOL_TIMEOUT_SECONDS`` for a connection,
``ping`` (``/ready``) at most ``PING_TIMEOUT_SECONDS``, every lent connection is checked first (a
broken one is replaced, not handed out), and reconnection is retried every
``RECONNECT_DELAY_SECONDS`` instead of psycopg_pool's doubling backoff (1, 2, 4, 8 s...), which is
what kept requests failing for 4-15 s after PostgreSQL had come back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import LiteralString
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from portal.errors import UpstreamUnavailableError
from portal.store.holder_rows import CHANNEL as HOLDER_CHANNEL
from portal.store.holder_rows import HolderRows

APP_ROLE = "portal_app"
POOL_TIMEOUT_SECONDS = 1.5      # longest a request waits for a connection before its 503
BATCH_TIMEOUT_SECONDS = 10.0    # the same for CLI commands and scripts, which would rather wait
PING_TIMEOUT_SECONDS = 0.5      # /ready answers within a second, up or down
RECONNECT_DELAY_SECONDS = 0.25  # between attempts to replace a lost connection
CONNECT_TIMEOUT_SECONDS = 2     # libpq's minimum; a unix socket or a refused port fails at once anyway
READER_CONNECTIONS = 4          # Database.read_row's own connections, per process

Connection = psycopg.AsyncConnection[dict]
NOTIFY_MARKER: LiteralString = "SELECT pg_notify(%(channel)s, %(marker)s)"
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}


class _SteadyRetry(AttemptWithBackoff):
    """Retry at a fixed short interval: the database is back in seconds or it is not (then the
    pool still gives up after ``reconnect_timeout``)."""

    INITIAL_DELAY = RECONNECT_DELAY_SECONDS
    DELAY_JITTER = 0.2
    DELAY_BACKOFF = 1.0


class _Pool(AsyncConnectionPool):
    async def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        # psycopg_pool builds its backoff here when a connection is to be (re)made; ours instead.
        await super()._add_connection(attempt or _SteadyRetry(timeout=self.reconnect_timeout), growing)


def app_role_url(owner_url: str) -> str:
    """The owner's URL with the user swapped for ``portal_app`` and any password dropped.

    Works where the server trusts the connection (the embedded server's unix socket, peer/cert
    auth) or finds the role's password elsewhere (``PGPASSFILE``); otherwise give
    ``PORTAL_APP_DATABASE_URL`` with the role's password.
    """
    parts = urlsplit(owner_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("user", "password")]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}", query=urlencode(query, safe="/")))


def app_role_problem(url: str) -> str | None:
    """Why ``url`` is not a safe connection for the app (cannot connect, or too powerful), or None."""
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            row = conn.execute(
                "SELECT rolsuper, rolbypassrls, current_user AS name, "
                "EXISTS (SELECT FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owns "
                "FROM pg_roles WHERE rolname = current_user").fetchone()
    except psycopg.Error as exc:
        return f"cannot connect as the app role: {str(exc).strip().splitlines()[0]}"
    assert row is not None
    superuser, bypass_rls, name, owns = row
    if superuser or bypass_rls or owns:
        return f"the app connects as {name!r}, which is a superuser or owns the tables; it could rewrite the audit log"
    return None


class Database:
    """An open pool; created and closed by the app's lifespan (or a CLI command)."""

    def __init__(self, pool: AsyncConnectionPool, audit_chain_key: bytes | None = None) -> None:
        self.pool = pool
        self.audit_chain_key = audit_chain_key
        self._readers = _Readers(pool.conninfo)
        self.holder_rows = HolderRows()  # none kept until the app sizes it and follows changes (app.py)

    @classmethod
    async def open(cls, url: str, *, size: int = 10, timeout: float = BATCH_TIMEOUT_SECONDS,
                   audit_chain_key: bytes | None = None) -> Database:
        """Open a pool of ``size``; a unit of work waits at most ``timeout`` for a connection (the app
        passes ``POOL_TIMEOUT_SECONDS``: in an outage, or under more load than the pool can carry, a
        quick 503 with Retry-After beats a queue). Audit events written through this handle are keyed
        by ``audit_chain_key`` (the deployment's; without it the handle cannot write one)."""
        pool = _Pool(
            url,
            min_size=min(2, size),
            max_size=size,
            kwargs={"row_factory": dict_row, "autocommit": False, "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3},
            timeout=timeout,
            check=AsyncConnectionPool.check_connection,
            max_lifetime=30 * 60,
            open=False,
            name="portal",
        )
        await pool.open(wait=True, timeout=10)
        return cls(pool, audit_chain_key)

    async def close(self) -> None:
        await self._readers.close()
        await self.pool.close()

    async def read_row(self, query: LiteralString, params: dict[str, object]) -> tuple | None:
        """One statement that only reads, in one round trip: the first row as a tuple, or None.

        For the hottest reads (the holder's request page): ``READER_CONNECTIONS`` connections of their
        own in autocommit, prepared statements, no pool checkout or check, no BEGIN/COMMIT (the pool's
        way costs three more round trips). One statement sees one snapshot, so the row is consistent."""
        return await self._readers.read_row(query, params)

    @contextlib.asynccontextmanager
    async def transaction(self, *, timeout: float | None = None) -> AsyncIterator[Connection]:
        """Yield a connection inside one transaction: committed on success, rolled back on error."""
        marker = None
        try:
            async with self.pool.connection(timeout=timeout) as conn:
                conn.audit_chain_key = self.audit_chain_key  # type: ignore[attr-defined]  (see store.audit)
                yield conn
                if (marker := self.holder_rows.writing()) is not None:  # read-your-writes: see holder_rows
                    await conn.execute(NOTIFY_MARKER, {"channel": HOLDER_CHANNEL, "marker": marker})
        except (PoolTimeout, psycopg.OperationalError) as exc:
            if marker is not None:
                self.holder_rows.abandoned(marker)
            raise UpstreamUnavailableError("the database is unavailable; try again shortly") from exc
        except BaseException:
            if marker is not None:
                self.holder_rows.abandoned(marker)
            raise

    async def ping(self) -> bool:
        """True when a round trip to the server succeeds within ``PING_TIMEOUT_SECONDS`` (``/ready``)."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                async with self.transaction(timeout=PING_TIMEOUT_SECONDS) as conn:
                    await conn.execute("SELECT 1")
        except (UpstreamUnavailableError, TimeoutError):
            return False
        return True


class _Readers:
    """``Database.read_row``'s connections: up to ``READER_CONNECTIONS``, made when first needed, so as
    many reads are in flight at once (one connection would make every page wait for the one before).
    A broken connection is dropped and the read tried once more on a new one; then the database is
    down (``UpstreamUnavailableError``, 503)."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._idle: list[psycopg.AsyncConnection] = []
        self._free = asyncio.Semaphore(READER_CONNECTIONS)

    async def _connect(self) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, row_factory=tuple_row, connect_timeout=CONNECT_TIMEOUT_SECONDS,
            **_KEEPALIVES)

    async def read_row(self, query: LiteralString, params: dict[str, object]) -> tuple | None:
        async with self._free:
            conn = self._idle.pop() if self._idle else None
            for attempt in (1, 2):
                try:
                    if conn is None or conn.closed:
                        conn = await self._connect()
                    cursor = await conn.execute(query, params, prepare=True)
                    row = await cursor.fetchone()
                except psycopg.OperationalError as exc:
                    await _close_quietly(conn)
                    conn = None
                    if attempt == 2:
                        raise UpstreamUnavailableError("the database is unavailable; try again shortly") from exc
                else:
                    self._idle.append(conn)
                    return row
        raise AssertionError("unreachable")

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await _close_quietly(conn)


async def _close_quietly(conn: psycopg.AsyncConnection | None) -> None:
    if conn is not None:
        with contextlib.suppress(psycopg.Error):
            await conn.close()
