"""Hypothesis: arbitrary JSON (and non-JSON) bodies to the holders' POST routes never produce a 5xx,
and every refusal is problem+json."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=12,
)
plausible = st.fixed_dictionaries(
    {},
    optional={"address": st.sampled_from(["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x", "x" * 200]) | st.text(),
              "destination": st.text(max_size=60) | st.integers(), "method": st.sampled_from(
                  ["eip191", "eip712", "eip1271", "solana", "solana_tx", "transaction", "nope"]),
              "challenge_id": st.uuids().map(str) | st.text(max_size=40), "signature": json_values,
              "tx_hash": st.text(max_size=80), "signed_transaction": st.text(max_size=200)},
)


@pytest.fixture(scope="module")
def fuzz_client(pg_server_url: str, template_database: str, demo_snapshot_paths: list[str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    import secrets

    import psycopg

    from tests.conftest import with_database

    name = f"portal_fuzz_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    app = create_app(Settings(database_url=with_database(pg_server_url, name), snapshots=tuple(demo_snapshot_paths),
                              public_url="https://portal.example.org", rate_limit_per_minute=0))
    with TestClient(app=app) as client:
        yield client
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(["/v1/challenges", "/v1/proofs"]), body=json_values | plausible)
def test_arbitrary_json_never_5xx(fuzz_client: TestClient, route: str, body: object) -> None:
    response = fuzz_client.post(route, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(["/v1/challenges", "/v1/proofs"]), raw=st.binary(max_size=200))
def test_non_json_bodies_never_5xx(fuzz_client: TestClient, route: str, raw: bytes) -> None:
    response = fuzz_client.post(route, content=raw, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
