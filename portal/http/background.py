"""A coroutine that runs beside the app for as long as a lifespan lasts (the refresh loops)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

logger = logging.getLogger(__name__)


STOP_WAIT_SECONDS = 5.0   # how long shutdown waits for a cancelled loop before leaving it behind


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Run ``work`` as a task while the block runs; cancel it and wait for it on the way out.

    The wait is bounded: a loop blocked where cancellation does not land at once (a driver waiting
    on a socket, a LISTEN connection) must not hold the app's shutdown for ever. Seen in the test
    suite: a TestClient's lifespan never finished. Past ``STOP_WAIT_SECONDS`` it is logged and left.
    """
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_SECONDS)
        if not done:
            logger.warning("%s did not stop within %.0f s of being cancelled; shutting down without it",
                           name, STOP_WAIT_SECONDS)
        elif not task.cancelled() and task.exception() is not None:
            logger.error("%s ended with an error", name, exc_info=task.exception())
