"""Hypothesis at the edge (issue 19): hostile bodies to every POST route of the app, JSON and forms.

Depth (up to 40,000), width, long strings, integers past 2^64 and past Python's 4,300-digit limit,
NUL, lone surrogates (escaped and raw), duplicate keys, invalid UTF-8. Every answer is a 4xx (or a
documented success), never a 5xx; every JSON route's refusal is problem+json; no request takes
longer than a bound; and the app still answers ``/health`` afterwards. The routes come from the app
itself, so a new route is fuzzed without anyone adding it here. The last test sends the worst of it
to a real ``portal serve`` over TCP and checks the process is still alive and serving.
"""

from __future__ import annotations

import http.client
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.handlers import HTTPRouteHandler
from litestar.testing import TestClient

from benchmarks._server import portal_process
from portal.app import create_app
from portal.settings import Settings
from tests.conftest import with_database
from tests.integration.staff_helpers import create_key

SECONDS_PER_REQUEST = 2.0   # generous for a loaded CI host; the guard answers in microseconds


def _routes() -> list[str]:
    """Every POST path of the app, path parameters filled in (a fresh app, not the one under test)."""
    app = create_app(Settings(database_url="postgresql://unused/unused", snapshots=()))
    paths = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "POST" in handler.http_methods:
                values = {name: str(uuid.uuid4()) if parameter.type is uuid.UUID else "x1"
                          for name, parameter in route.path_parameters.items()}
                paths.add(route.path_format.format(**values))
    return sorted(paths)


ROUTES = _routes()


def nested(depth: int, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + b"1" + closer * depth


hostile_json = st.one_of(
    st.integers(1, 40_000).map(lambda d: nested(d, b"[", b"]")),
    st.integers(1, 20_000).map(lambda d: nested(d, b'{"a":', b"}")),
    st.integers(1, 20_000).map(lambda d: b"[" * d),                                 # unterminated
    st.integers(1, 8_000).map(lambda n: b"[" + b"1," * n + b"1]"),                 # wide
    st.integers(1, 40_000).map(lambda n: b'{"text":"' + b"a" * n + b'"}'),         # long
    st.integers(18, 6_000).map(lambda k: b'{"amount":' + b"9" * k + b"}"),          # past 2^64 and int_max_str_digits
    st.sampled_from([b'{"text":"\\u0000"}', b'{"text":"\\ud800"}', b'{"text":"\\udfff\\ud800"}',
                     b'{"address":"\xed\xa0\x80"}', b'{"a":1,"a":2,"a":{"a":[]}}', b'{"text":"\xff\xfe"}',
                     b'{"\\u0000":1}', b"\x00", b"", b"null", b"1e999999", b"-0", b'"\\', b"[" * 33 + b"]" * 33,
                     b'{"decision":"approve","reason":"\\u001b[31m"}', b'{"document":"' + b"\\n" * 5000 + b'"}']),
)
hostile_form = st.one_of(
    st.integers(1, 200).map(lambda n: "&".join(f"f{i}=1" for i in range(n)).encode()),
    st.integers(1, 40_000).map(lambda n: b"reason=" + b"a" * n),
    st.sampled_from([b"reason=%00", b"address=%ED%A0%80", b"a=%FF%FE", b"=&=&&", b"%", b"address=" + b"%5B" * 5000,
                     b"csrf_token=x&reason=\x85"]),
)


@pytest.fixture(scope="module")
def edge_client(pg_server_url: str, template_database: str, demo_snapshot_paths: list[str]
                ) -> Iterator[tuple[TestClient, str]]:
    name = f"portal_edge_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    url = with_database(pg_server_url, name)
    token = create_key(url, "edge-admin", "admin")
    app = create_app(Settings(database_url=url, snapshots=tuple(demo_snapshot_paths),
                              public_url="https://portal.example.org", rate_limit_per_minute=0,
                              staff_sign_in_per_minute=0))
    with TestClient(app=app) as client:
        yield client, token
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_post_route_is_fuzzed() -> None:
    # the holder, staff, policy, page and console routes are all there (a rename would empty this list)
    for expected in ["/v1/challenges", "/v1/proofs", "/v1/links/scan", "/v1/policies", "/prove/challenge",
                     "/staff/sign-in"]:
        assert expected in ROUTES, ROUTES
    assert len(ROUTES) >= 15


def _check(client: TestClient, route: str, body: bytes, content_type: str, token: str | None) -> None:
    headers = {"content-type": content_type, **({"authorization": f"Bearer {token}"} if token else {})}
    started = time.perf_counter()
    response = client.post(route, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code < 500, (route, body[:80], response.text[:300])
    assert elapsed < SECONDS_PER_REQUEST, (route, body[:80], elapsed)
    if response.status_code >= 400 and route.startswith("/v1/"):
        assert response.headers["content-type"].startswith("application/problem+json"), (route, response.text[:200])
        assert response.json()["code"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), body=hostile_json, authenticated=st.booleans())
def test_hostile_json_to_every_route(edge_client: tuple[TestClient, str], route: str, body: bytes,
                                     authenticated: bool) -> None:
    client, token = edge_client
    _check(client, route, body, "application/json", token if authenticated else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), body=hostile_form, authenticated=st.booleans())
def test_hostile_forms_to_every_route(edge_client: tuple[TestClient, str], route: str, body: bytes,
                                      authenticated: bool) -> None:
    client, token = edge_client
    _check(client, route, body, "application/x-www-form-urlencoded", token if authenticated else None)


def test_the_app_serves_after_the_fuzz(edge_client: tuple[TestClient, str]) -> None:
    client, _ = edge_client
    assert client.get("/health").status_code == 200
    assert client.get("/v1/eligibility/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").json()["eligible"] is True


WORST = [nested(30_000, b"[", b"]"), nested(20_000, b'{"a":', b"}"), b"[" * 600_000,
         b'{"text":"' + b"\\u0000" * 10 + b'"}', b'{"amount":' + b"9" * 6000 + b"}"]


@pytest.mark.slow
def test_a_real_server_survives_the_worst_bodies(tmp_path: Path, database_url: str,
                                                  demo_snapshot_paths: list[str]) -> None:
    """Over TCP, to ``portal serve`` as shipped: the 60 KB body that killed it, and the rest."""
    with portal_process(tmp_path / "data", [Path(p) for p in demo_snapshot_paths],
                        env={"DATABASE_URL": database_url}) as (base, process):
        port = int(base.rsplit(":", 1)[1])
        for body in WORST:
            for route in ["/v1/links/scan", "/v1/challenges"]:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                started = time.perf_counter()
                connection.request("POST", route, body=body, headers={"content-type": "application/json"})
                response = connection.getresponse()
                response.read()
                connection.close()
                assert 400 <= response.status < 500, (route, body[:40], response.status)
                assert time.perf_counter() - started < SECONDS_PER_REQUEST
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/health")
        health = connection.getresponse()
        health.read()
        connection.close()
        assert health.status == 200
        assert process.poll() is None
