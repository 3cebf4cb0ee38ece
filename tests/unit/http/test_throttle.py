"""``throttled_posts``: the rate limit counts POSTs to the named paths, and nothing else.

The counters here are the in-process ``MemoryLimiter``; the PostgreSQL one, shared by replicas, is
tested on a real database in ``tests/integration/test_shared_limits.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.testing import TestClient

from portal.http.fast.throttle import throttled_posts
from portal.settings import Settings
from portal.store.limits import MemoryLimiter


@get("/limited", sync_to_thread=False)
def read_limited() -> str:
    return "read"


@post("/limited", sync_to_thread=False, status_code=200)
def write_limited() -> str:
    return "written"


@post("/free", sync_to_thread=False, status_code=200)
def write_free() -> str:
    return "free"


def app(limit: int) -> Litestar:
    runtime = SimpleNamespace(settings=Settings(), limiter=MemoryLimiter())  # what the middleware reads of Runtime
    return Litestar([read_limited, write_limited, write_free], state=State({"runtime": runtime}),
                    middleware=[throttled_posts("test", limit, ["/limited"])])


def test_only_posts_to_the_named_paths_are_counted() -> None:
    with TestClient(app(2)) as client:
        for _ in range(5):  # neither a GET of the same path nor a POST elsewhere counts
            assert client.get("/limited").status_code == 200
            assert client.post("/free").status_code == 200
        first, second, third = (client.post("/limited") for _ in range(3))
        assert first.status_code == second.status_code == 200
        assert "ratelimit-remaining" in {name.lower() for name in first.headers}
        assert third.status_code == 429 and third.headers["ratelimit-remaining"] == "0"
        assert client.get("/limited").status_code == 200 and client.post("/free").status_code == 200


def test_the_429_says_when_to_come_back() -> None:
    with TestClient(app(1)) as client:
        client.post("/limited")
        refused = client.post("/limited")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == "1; w=60" and refused.headers["ratelimit-limit"] == "1"
