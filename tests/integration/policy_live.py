"""A live portal on loopback (uvicorn in a thread, real PostgreSQL) and a policy history to publish on it.

Shared by the third-party verification tests (terminal and browser).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psycopg
import pytest
import uvicorn
from eth_account import Account

from policy.document import parse_document
from policy.root import parse_root, root_statement
from policy.statement import sign_statement, statement
from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import create_key

OLD = [Account.create(), Account.create()]
NEW = [Account.create(), Account.create()]


def root_text(accounts: list, version: int, expires: str = "2028-06-01T00:00:00Z") -> str:
    signers = ", ".join(f'"{a.address}"' for a in accounts)
    return f"version = {version}\nthreshold = 2\nexpires = {expires}\nsigners = [{signers}]\n"


def doc_text(version: int, prev: str, base: str) -> str:
    return (f'+++\nslug = "official"\nversion = {version}\ntitle = "Official links"\n'
            f'effective = 2026-11-01T00:00:00Z\nexpires = 2099-01-01T00:00:00Z\nprev = "{prev}"\n'
            f'[[links]]\nlabel = "Portal"\nurl = "https://migrate.example.org/"\n+++\n'
            f"# Official links\n\nSupport never DMs you first (version {version}).\n")


def doc_signatures(text: str, accounts: list) -> list[dict]:
    line = statement(parse_document(text.encode()))
    return [{"signer": a.address, "signature": sign_statement(line, a.key)} for a in accounts]


def root_signatures(text: str, accounts: list) -> list[dict]:
    line = root_statement(parse_root(text.encode()))
    return [{"signer": a.address, "signature": sign_statement(line, a.key)} for a in accounts]


@dataclass
class Portal:
    base: str
    token: str
    database_url: str
    root1_sha256: str

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        import httpx

        response = httpx.post(self.base + path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        return response.status_code, response.json()

    def get(self, path: str) -> bytes:
        import httpx

        response = httpx.get(self.base + path)
        response.raise_for_status()
        return response.content


@pytest.fixture
def portal(settings: Settings, tmp_path: Path) -> Iterator[Portal]:
    """A live portal with root 1 configured; torn down after the test."""
    root = tmp_path / "root.toml"
    root.write_text(root_text(OLD, 1))
    sock = socket.socket()  # bound here and handed to uvicorn: no window for another test to take the port
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root), public_url=base))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "test portal did not start"
        time.sleep(0.05)
    try:
        yield Portal(base, create_key(settings.database_url, "pub", "publisher"), settings.database_url,  # type: ignore[arg-type]
                     parse_root(root.read_bytes()).sha256)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def publish_history(portal: Portal) -> tuple[str, str]:
    """v1 under root 1, rotation to root 2 (old + new keys), v2 under root 2; returns (v1, v2) texts."""
    v1 = doc_text(1, "", portal.base)
    assert portal.post("/v1/policies", {"document": v1, "signatures": doc_signatures(v1, OLD)})[0] == 201
    root2 = root_text(NEW, 2)
    status, body = portal.post("/v1/policies/roots", {"root": root2, "signatures": root_signatures(root2, OLD + NEW)})
    assert status == 201, body
    v2 = doc_text(2, parse_document(v1.encode()).sha256, portal.base)
    status, body = portal.post("/v1/policies", {"document": v2, "signatures": doc_signatures(v2, NEW)})
    assert status == 201 and body["root_version"] == 2, body
    return v1, v2


def sql(portal: Portal, statement_text: str) -> None:
    """Play a compromised server: edit its rows directly."""
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute(statement_text)  # type: ignore[arg-type]


def flip_never(portal: Portal, version: int) -> None:
    """One byte of a stored version changes: "never" becomes "Never"."""
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute("UPDATE policy_versions SET document = overlay(document placing 'N'::bytea from "
                     "position('never'::bytea in document) for 1) WHERE version = %(version)s", {"version": version})
