"""Wake-ups for the checkpointer: one per committed transaction that appended audit events.

Migration 0012's statement-level trigger runs ``NOTIFY portal_audit``; PostgreSQL delivers it only
at commit, so a wake-up means events are there to be covered. The listening connection is its own
(not the pool's: it is held for the app's life). A lost connection is remade every second, and each
(re)connect yields once, since events may have been committed while nobody listened.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg

CHANNEL = "portal_audit"
RECONNECT_SECONDS = 1.0


async def wake_ups(conninfo: str) -> AsyncIterator[None]:
    """Yield once on connecting and once per notification, forever (until the caller stops iterating)."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True, connect_timeout=2) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                yield
                async for _ in conn.notifies():
                    yield
        except psycopg.OperationalError:
            await asyncio.sleep(RECONNECT_SECONDS)
