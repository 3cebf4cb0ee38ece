"""The pure parts of issue 19's server guards: flood logging at a bounded rate, the worker's exit
cause in words, the restart backoff, and the protocol's canned problem responses."""

from __future__ import annotations

import json
import logging

from portal.cli.log_limit import RepeatFilter, RepeatLimiter, limit_flood_logging
from portal.cli.uvicorn_bounded import _expects_body, problem_response
from portal.cli.worker_supervisor import MAX_BACKOFF_SECONDS, backoff_seconds, exit_cause


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeats_pass_first_n_per_interval_then_one_count() -> None:
    clock = FakeClock()
    limiter = RepeatLimiter(first=3, interval=10.0, clock=clock)
    shown = [limiter.admit("accept")[0] for _ in range(1000)]
    assert shown.count(True) == 3 and shown[:3] == [True] * 3
    assert limiter.admit("other") == (True, 0)          # kinds are counted apart
    clock.now = 10.0
    assert limiter.admit("accept") == (True, 997)       # the next window reports the hidden ones, once
    assert limiter.admit("accept") == (True, 0)


def test_repeat_filter_bounds_a_flood_of_tracebacks() -> None:
    clock = FakeClock()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("test.flood")
    logger.propagate = False
    logger.addHandler(Keep())
    logger.addFilter(RepeatFilter(RepeatLimiter(first=5, interval=10.0, clock=clock)))
    for _ in range(10_000):
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            logger.exception("socket.accept() out of system resource")
    assert len(records) == 5
    clock.now = 11.0
    logger.error("socket.accept() out of system resource")
    assert len(records) == 6 and "9995 more like this suppressed" in records[-1].getMessage()


def test_flood_loggers_get_one_filter_each() -> None:
    limit_flood_logging(("test.once",))
    limit_flood_logging(("test.once",))
    assert sum(isinstance(f, RepeatFilter) for f in logging.getLogger("test.once").filters) == 1


def test_exit_cause_names_the_signal_or_the_code() -> None:
    assert exit_cause(-9) == "killed by signal SIGKILL"
    assert exit_cause(-11) == "killed by signal SIGSEGV"
    assert exit_cause(3) == "exited with code 3"


def test_backoff_restarts_a_first_crash_at_once_and_a_crash_loop_ever_slower() -> None:
    delays = [backoff_seconds(n) for n in range(1, 12)]
    assert delays[:4] == [0.0, 0.5, 1.0, 2.0]
    assert delays == sorted(delays) and delays[-1] == MAX_BACKOFF_SECONDS


def test_problem_responses_are_complete_http_answers_that_close() -> None:
    raw = problem_response(431, "Request Header Fields Too Large", "headers_too_large", "headers", "too big")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"connection: close" in head and f"content-length: {len(body)}".encode() in head
    assert json.loads(body) == {"type": "about:blank",
                                "title": "Request Header Fields Too Large", "status": 431, "detail": "too big",
                                "code": "headers_too_large", "field": "headers"}


def test_only_requests_with_a_body_get_a_body_deadline() -> None:
    assert _expects_body([(b"content-length", b"10")])
    assert _expects_body([(b"transfer-encoding", b"chunked")])
    assert not _expects_body([(b"content-length", b"0")])
    assert not _expects_body([(b"host", b"x")])
