"""The holder page's rows, kept in this process until the database says they changed.

The request page is the holders' hottest read: they come back to it until they have claimed. Its row
(``holder_page``: the status token's hash, the request, its answers, the release entry holding it and
its claim status) changes a few times in the request's life, so it is read from PostgreSQL once and
kept here, by request id, in a bounded LRU.

Keeping it is safe only while this process hears every change. Migration 0018's triggers NOTIFY
channel ``holder_pages`` when a transaction that changed a request, its answers, a release or its
claim status commits, whoever wrote it (this process, another replica, a worker, the CLI): the
request's id, or ``*`` for a change that touched several. ``follow`` holds a LISTEN connection of
its own and drops what each notification names. Rows are kept only while that connection is up:
before the first LISTEN, after it is lost and until it is back, nothing is kept and every read goes
to the database, as it did before this cache. Between the loss and this process noticing it, a row
may be served that a change made meanwhile has outdated: at once when the server closes the
connection (a restart, ``pg_terminate_backend``), up to the TCP keepalives' ~19 s when the network
drops it silently (when the database is unreachable from here anyway).

A read that races a change cannot keep a stale row: ``generation`` moves on with every notification,
and a row read before a notification arrived is not kept if the generation moved (``put``). A
notification that arrives later drops the row as any other.

A process reads its own writes: the notification of a change arrives a moment after its commit, and
the holder whose answer was just saved must not be shown the page from before it. So every
transaction this process commits (``Database.transaction``) ends with a marker notification of its
own (``writing``), delivered after the transaction's other notifications; until each marker has come
back, nothing kept is served (``get`` answers None and the read goes to the database). A marker that
does not come back within ``OVERDUE_SECONDS`` means notifications were lost: everything is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict

import psycopg

CHANNEL = "holder_pages"
EVERYTHING = "*"
MARKER = "seen:"
RECONNECT_SECONDS = 1.0
OVERDUE_SECONDS = 5.0
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}

logger = logging.getLogger("portal.store")


class HolderRows:
    """Rows by request id, at most ``capacity`` (0 keeps nothing), kept only while ``live``."""

    __slots__ = ("_me", "_next", "_pending", "_rows", "capacity", "generation", "live")

    def __init__(self, capacity: int = 0) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[uuid.UUID, tuple] = OrderedDict()
        self.generation = 0
        self.live = False
        self._me = f"{MARKER}{uuid.uuid4().hex}:"
        self._next = 0
        self._pending: dict[str, float] = {}  # this process's markers on their way back, by when sent

    def get(self, request_id: uuid.UUID) -> tuple | None:
        if self._pending:
            if time.monotonic() - min(self._pending.values()) > OVERDUE_SECONDS:
                logger.warning("a change notification did not come back: holder pages are read afresh")
                self.listening(self.live)
            return None
        row = self._rows.get(request_id)
        if row is not None:
            self._rows.move_to_end(request_id)
        return row

    def put(self, generation: int, request_id: uuid.UUID, row: tuple) -> None:
        """Keep ``row``, read when the generation was ``generation``, unless something changed since."""
        if not self.live or generation != self.generation or self.capacity == 0:
            return
        self._rows[request_id] = row
        self._rows.move_to_end(request_id)
        if len(self._rows) > self.capacity:
            self._rows.popitem(last=False)

    def writing(self) -> str | None:
        """The marker a transaction of this process sends last, before its commit (None: not kept, none
        needed); ``abandoned`` when the transaction did not commit."""
        if not self.live:
            return None
        self._next += 1
        marker = f"{self._me}{self._next}"
        self._pending[marker] = time.monotonic()
        return marker

    def abandoned(self, marker: str) -> None:
        self._pending.pop(marker, None)

    def changed(self, payload: str) -> None:
        """A notification: drop the request it names, or everything; or a marker come back."""
        if payload.startswith(MARKER):
            self._pending.pop(payload, None)
            return
        self.generation += 1
        if payload == EVERYTHING:
            self._rows.clear()
            return
        try:
            self._rows.pop(uuid.UUID(payload), None)
        except ValueError:  # not ours to understand: be safe
            self._rows.clear()

    def listening(self, live: bool) -> None:
        """The LISTEN connection is up (``True``) or lost: either way, start from nothing."""
        self.generation += 1
        self._rows.clear()
        self._pending.clear()
        self.live = live

    def __len__(self) -> int:
        return len(self._rows)


async def follow(conninfo: str, rows: HolderRows) -> None:
    """LISTEN for changes and apply them to ``rows``, reconnecting every second while the database is
    away, until cancelled. Rows are kept only between a LISTEN and the loss of its connection."""
    if rows.capacity == 0:
        return
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True, connect_timeout=2,
                                                             **_KEEPALIVES) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                rows.listening(True)
                async for note in conn.notifies():
                    rows.changed(note.payload)
        except psycopg.OperationalError as exc:
            if rows.live:
                logger.warning("holder pages are read from the database until it is back: %s",
                               str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        finally:
            rows.listening(False)
        await asyncio.sleep(RECONNECT_SECONDS)
