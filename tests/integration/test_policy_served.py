"""A third party verifies the policy from the portal's URL alone, holding one pinned root hash.

A real portal (uvicorn on loopback, real PostgreSQL) publishes v1 under root 1, rotates to root 2
(old and new keys sign), publishes v2 under root 2. ``portal policy verify --url`` then runs in a
separate process knowing only root 1's sha256. A compromised server is played by editing its
database rows directly (a tampered byte, a deleted newest version): each is refused with its reason.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
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
from portal.cli import main
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root), public_url=base))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
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


def verify_in_another_process(portal: Portal, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal", "policy", "verify", "--url",
                           f"{portal.base}/policy/official", "--root-sha256", portal.root1_sha256, *extra],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def sql(portal: Portal, statement_text: str) -> None:
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute(statement_text)  # type: ignore[arg-type]


def test_third_party_verifies_from_the_url_with_one_pinned_hash(portal: Portal, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    v1, v2 = publish_history(portal)
    state = tmp_path / "seen.json"
    done = verify_in_another_process(portal, "--state", str(state))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] and result["version"] == 2 and result["root_version"] == 2 and result["roots_walked"] == [1, 2]
    assert sorted(result["signers"]) == sorted(a.address for a in NEW)
    assert json.loads(state.read_text())["policies"]["official"]["version"] == 2

    # What it read is served at stable places, byte for byte.
    assert portal.get("/policy/official.md") == v2.encode() == portal.get("/policy/official/versions/2.md")
    assert portal.get("/policy/official/versions/1.md") == v1.encode()
    assert json.loads(portal.get("/policy/official.md.sig.json"))["root_version"] == 2
    assert portal.get("/policy/roots/2.toml") == root_text(NEW, 2).encode()
    assert len(json.loads(portal.get("/policy/roots/2.sig.json"))["signatures"]) == 4
    roots = json.loads(portal.get("/v1/policies/roots"))
    assert [r["version"] for r in roots] == [1, 2] and roots[0]["sha256"] == portal.root1_sha256

    # A compromised server flips one byte of the current version: refused, with the reason.
    sql(portal, "UPDATE policy_versions SET document = overlay(document placing 'N'::bytea from "
                "position('never'::bytea in document) for 1) WHERE version = 2")
    assert main(["policy", "verify", "--url", f"{portal.base}/policy/official", "--root-sha256",
                 portal.root1_sha256]) == 1
    assert "below_threshold: signed by 0 of 2" in capsys.readouterr().err


def test_rollback_and_expired_root_are_refused(portal: Portal, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    publish_history(portal)
    state = tmp_path / "seen.json"
    args = ["policy", "verify", "--url", f"{portal.base}/policy/official", "--root-sha256", portal.root1_sha256]
    assert main([*args, "--state", str(state)]) == 0
    assert main([*args, "--now", "2028-07-01T00:00:00Z"]) == 1
    assert "expired: trust root version 2 expired" in capsys.readouterr().err
    sql(portal, "DELETE FROM policy_versions WHERE version = 2")  # the server now shows v1 as current
    assert main([*args, "--state", str(state)]) == 1
    assert "rollback: policy official rolled back: version 1 is served, version 2 was seen before" \
        in capsys.readouterr().err


def test_root_rotations_the_portal_refuses(portal: Portal) -> None:
    root2 = root_text(NEW, 2)
    status, body = portal.post("/v1/policies/roots", {"root": root2, "signatures": root_signatures(root2, NEW)})
    assert status == 422 and body["code"] == "below_threshold" and "by the old root" in body["detail"]
    expired = root_text(NEW, 2, expires="2026-01-01T00:00:00Z")
    status, body = portal.post("/v1/policies/roots", {"root": expired,
                                                       "signatures": root_signatures(expired, OLD + NEW)})
    assert status == 422 and body["code"] == "expired"
    skip = root_text(NEW, 3)
    status, body = portal.post("/v1/policies/roots", {"root": skip, "signatures": root_signatures(skip, OLD + NEW)})
    assert status == 422 and body["code"] == "invalid_root" and body["field"] == "root"
    assert [r["version"] for r in json.loads(portal.get("/v1/policies/roots"))] == [1]
