"""Log repeats at a bounded rate: the first few of a kind per interval, then one summary line.

Why: under a connection flood asyncio logs "socket.accept() out of system resource" with a
traceback on every accept attempt, and uvicorn one line per broken request; issue 19 saw the log
grow 135 MB in 62 s (299,009 tracebacks). That costs disk, CPU and the files the server is short
of, and says nothing the first few lines did not. A "kind" is the logger and the message template
(``record.msg`` before ``%`` formatting), so the same error from many clients counts as one kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FIRST_PER_INTERVAL = 5
INTERVAL_SECONDS = 10.0
# The loggers a flood makes talk: asyncio's accept loop, uvicorn's per-connection errors.
FLOOD_LOGGERS = ("asyncio", "uvicorn.error", "uvicorn")


@dataclass
class _Window:
    started: float
    passed: int = 0
    suppressed: int = 0


class RepeatLimiter:
    """Decides, per key, whether one more occurrence is shown; thread-safe, no I/O of its own."""

    def __init__(self, first: int = FIRST_PER_INTERVAL, interval: float = INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.first, self.interval, self.clock = first, interval, clock
        self._windows: dict[object, _Window] = {}
        self._lock = threading.Lock()

    def admit(self, key: object) -> tuple[bool, int]:
        """``(show, suppressed)``: show this one? ``suppressed`` counts the hidden ones of the last
        window, reported (once) with the first occurrence shown after it closed."""
        now = self.clock()
        with self._lock:
            window = self._windows.get(key)
            reported = 0
            if window is None or now - window.started >= self.interval:
                reported = window.suppressed if window else 0
                if len(self._windows) > 1024:   # keys are templates, but never let them grow unbounded
                    self._windows.clear()
                window = self._windows[key] = _Window(now)
            if window.passed < self.first:
                window.passed += 1
                return True, reported
            window.suppressed += 1
            return False, 0


class RepeatFilter(logging.Filter):
    """A ``logging.Filter`` over ``RepeatLimiter``; a shown record after a quiet window says how many
    like it were dropped before."""

    def __init__(self, limiter: RepeatLimiter | None = None) -> None:
        super().__init__()
        self.limiter = limiter or RepeatLimiter()

    def filter(self, record: logging.LogRecord) -> bool:
        show, suppressed = self.limiter.admit((record.name, str(record.msg)))
        if show and suppressed:
            record.msg = f"{record.msg} [{suppressed} more like this suppressed in the previous " \
                         f"{self.limiter.interval:g} s]"
        return show


def limit_flood_logging(names: tuple[str, ...] = FLOOD_LOGGERS) -> None:
    """Put one ``RepeatFilter`` on each named logger (once per process; calling again is a no-op).

    Logger filters see only records created on that very logger, which is where asyncio and
    uvicorn log these: their handlers are not touched.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())
