"""``throttled_posts``: Litestar's rate limit counts POSTs to the named paths, and nothing else."""

from __future__ import annotations

from litestar import Litestar, get, post
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.testing import TestClient

from portal.http.fast.throttle import throttled_posts


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
    return Litestar([read_limited, write_limited, write_free],
                    middleware=[throttled_posts(RateLimitConfig(rate_limit=("minute", limit)), ["/limited"])])


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
