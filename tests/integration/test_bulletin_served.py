"""The security bulletin end to end: drafted by ``portal bulletin new`` from the confirmed lookalikes,
signed by the trust root's keys, published like a policy version, verified by ``portal policy verify
--url`` in another process, in the Atom feed, and on ``/`` only while it is in force."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest
from eth_account import Account
from litestar.testing import TestClient

from policy.bulletin import DISCORD_MESSAGE_CHARS, discord_length
from policy.document import parse_document
from policy.statement import sign_statement, statement
from portal.app import create_app
from portal.settings import Settings
from tests.integration.policy_live import OLD, Portal, doc_signatures, doc_text, portal
from tests.integration.staff_helpers import create_key

__all__ = ["portal"]  # the fixture


def confirm(database_url: str, *hosts: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for host in hosts:
            conn.execute("INSERT INTO seen_lookalikes (host, first_seen, last_seen, status, decided_at) "
                         "VALUES (%s, now(), now(), 'confirmed', now())", (host,))


def bulletin_cli(portal: Portal, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": portal.database_url, "PORTAL_PUBLIC_URL": portal.base}
    return subprocess.run([sys.executable, "-m", "portal", "bulletin", "new", *args], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL, check=True)


def test_a_bulletin_is_drafted_signed_published_and_verified_like_a_policy(portal: Portal) -> None:
    official = doc_text(1, "", portal.base)
    assert portal.post("/v1/policies", {"document": official, "signatures": doc_signatures(official, OLD)})[0] == 201
    confirm(portal.database_url, "examp1e.org", "xn--exmple-cua.io")
    scam = "Bots named 'Migration Support' DM holders a 'support ticket' link."
    text = bulletin_cli(portal, "--scam", scam).stdout
    doc = parse_document(text.encode())
    assert doc.slug == "bulletin" and doc.version == 1 and "`examp1e[.]org`" in doc.body and scam in doc.body
    status, body = portal.post("/v1/policies", {"document": text, "signatures": doc_signatures(text, OLD)})
    assert status == 201, body

    verified = subprocess.run([sys.executable, "-m", "portal", "policy", "verify", "--url",
                               f"{portal.base}/policy/bulletin", "--root-sha256", portal.root1_sha256],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] and json.loads(verified.stdout)["version"] == 1
    assert f"urn:sha256:{doc.sha256}".encode() in portal.get("/policy/feed.atom")
    assert portal.get("/policy/bulletin.md") == text.encode()
    # the link checker still speaks for the official policy, not the bulletin
    assert b"migrate.example.org" in portal.get("/v1/links/rules")

    announcement = bulletin_cli(portal, "--format", "discord").stdout  # the next one: nothing new confirmed
    assert discord_length(announcement.rstrip("\n")) <= DISCORD_MESSAGE_CHARS
    assert announcement.startswith("# Security bulletin ") and f"{portal.base}/policy/bulletin" in announcement
    assert "None confirmed since the last bulletin" in announcement
    second = parse_document(bulletin_cli(portal).stdout.encode())
    assert second.version == 2 and second.prev == doc.sha256


SIGNER = Account.create()
NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 1\nexpires = 2027-12-31T00:00:00Z\nsigners = ["{SIGNER.address}"]\n')
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root), banner_ttl_seconds=0.05), clock=clock)
    with TestClient(app=app) as test_client:
        test_client.headers["Authorization"] = "Bearer " + create_key(settings.database_url, "pub", "publisher")  # type: ignore[arg-type]
        yield test_client


def publish(client: TestClient, text: str) -> None:
    signature = sign_statement(statement(parse_document(text.encode())), SIGNER.key)
    response = client.post("/v1/policies", json={"document": text, "signatures": [
        {"signer": SIGNER.address, "signature": signature}]})
    assert response.status_code == 201, response.text


def home_says(client: TestClient, text: str, present: bool) -> None:
    deadline = time.monotonic() + 15
    while (text in html.unescape(client.get("/").text)) != present:
        assert time.monotonic() < deadline, f"/ never {'said' if present else 'stopped saying'} {text!r}"
        time.sleep(0.1)


def test_the_home_page_shows_the_bulletin_only_while_it_is_in_force(client: TestClient, clock: Clock) -> None:
    publish(client, doc_text(1, "", ""))
    bulletin = ('+++\nslug = "bulletin"\nversion = 1\ntitle = "Security bulletin 2026-12-07"\n'
                'effective = 2026-12-07T00:00:00Z\nexpires = 2026-12-14T00:00:00Z\nprev = ""\n+++\n'
                "## Going around this week\n\n- Fake airdrop claim sites on paid search ads.\n\n## Remember\n\n"
                "- Support never DMs you first.\n")
    publish(client, bulletin)
    home_says(client, "Fake airdrop claim sites on paid search ads.", True)
    assert 'href="/policy/bulletin"' in client.get("/").text
    assert client.get("/v1/links/check", params={"url": "https://migrate.example.org/"}).json()["verdict"] == "official"
    clock.now = dt.datetime(2026, 12, 14, 0, 1, tzinfo=dt.UTC)
    home_says(client, "Security bulletin 2026-12-07", False)
