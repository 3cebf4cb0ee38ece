"""The link rules over HTTP, and the lookalike log: every lookalike counted by host only, staff confirm or
dismiss (audited), and the wallet blocklists take the confirmed hosts. Real PostgreSQL, real signatures."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import psycopg
import yaml
from litestar.testing import AsyncTestClient, TestClient

from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import create_key
from tests.integration.test_policy_api import NOW, Keys, document, keys, policy_client, publish  # noqa: F401

SCANS = 100


def _published(client: TestClient, keys: Keys) -> None:  # noqa: F811
    text = document(1, "")
    publish(client, text, keys.signatures(text, keys.a, keys.b)).raise_for_status()


def _rows(database_url: str) -> list[dict]:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM seen_lookalikes ORDER BY host").fetchall()


def test_each_format_is_served_with_its_media_type(policy_client: TestClient, keys: Keys) -> None:  # noqa: F811
    assert policy_client.get("/v1/links/rules", params={"format": "adblock"}).status_code == 404
    _published(policy_client, keys)
    automod = policy_client.get("/v1/links/rules", params={
        "format": "discord-automod", "alert_channel": "123456789012345678", "exempt_role": ["223456789012345678"]})
    assert automod.status_code == 200 and automod.headers["content-type"].startswith("application/json")
    rules = automod.json()["rules"]
    assert rules[0]["trigger_metadata"]["allow_list"] == ["docs.example.org", "portal.example.org"]
    assert "https://portal.example.org/policy/official" in rules[0]["actions"][0]["metadata"]["custom_message"]
    assert rules[-1]["exempt_roles"] == ["223456789012345678"]
    assert policy_client.get("/v1/links/rules", params={"format": "discord-automod"}).content == \
        policy_client.get("/v1/links/rules", params={"format": "discord-automod"}).content
    adblock = policy_client.get("/v1/links/rules", params={"format": "adblock"})
    assert adblock.headers["content-type"].startswith("text/plain") and "||examp1e.org^" in adblock.text
    assert yaml.safe_load(policy_client.get("/v1/links/rules", params={"format": "phantom-yaml"}).text) == []
    assert policy_client.get("/v1/links/rules").json()["version"] == 2  # the bots' format is unchanged


def test_bad_options_are_400_naming_the_field(policy_client: TestClient, keys: Keys) -> None:  # noqa: F811
    _published(policy_client, keys)
    for params, field in [({"format": "discord-automod", "alert_channel": "general"}, "alert_channel"),
                          ({"format": "csv"}, "format"), ({"format": "discord-automod", "keyword_rules": 7},
                                                          "keyword_rules"),
                          ({"format": "discord-automod", "timeout_seconds": 2_419_201}, "timeout_seconds")]:
        response = policy_client.get("/v1/links/rules", params=params)
        assert response.status_code == 400 and field in response.text, (params, response.text)


def test_lookalikes_are_logged_by_host_only_then_confirmed_into_the_blocklists(
        policy_client: TestClient, keys: Keys, settings: Settings) -> None:  # noqa: F811
    _published(policy_client, keys)
    secret = "wallet=0xA11CE&seed=hunter2"
    assert policy_client.get("/v1/links/check", params={
        "url": f"https://me:pw@portal-example.org.claims.io/claim?{secret}"}).json()["verdict"] == "lookalike"
    policy_client.post("/v1/links/scan", json={"text": f"go https://examp1e.org/x?{secret} or https://examp1e.org"})
    policy_client.get("/v1/links/check", params={"url": "https://portal.example.org/"})  # official: not logged
    rows = _rows(settings.database_url)  # type: ignore[arg-type]
    assert [(r["host"], r["seen_count"], r["status"]) for r in rows] == [
        ("examp1e.org", 2, "new"), ("portal-example.org.claims.io", 1, "new")]
    stored = json.dumps([{k: str(v) for k, v in r.items()} for r in rows])
    assert "hunter2" not in stored and "0xA11CE" not in stored and "/claim" not in stored and "me:pw" not in stored
    assert "testclient" not in stored and "127.0.0.1" not in stored  # no client address
    reviewer = {"Authorization": "Bearer " + create_key(settings.database_url, "rev", "reviewer")}  # type: ignore[arg-type]
    listed = policy_client.get("/v1/links/lookalikes", headers=reviewer).json()
    assert [item["host"] for item in listed] == ["examp1e.org", "portal-example.org.claims.io"]  # most seen first
    assert policy_client.get("/v1/links/lookalikes").status_code in (401, 403)
    decided = policy_client.post("/v1/links/lookalikes/examp1e.org/decision", json={"decision": "confirm"},
                                 headers=reviewer)
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    policy_client.post("/v1/links/lookalikes/portal-example.org.claims.io/decision", json={"decision": "dismiss"},
                       headers=reviewer).raise_for_status()
    missing = policy_client.post("/v1/links/lookalikes/nowhere.io/decision", json={"decision": "confirm"},
                                 headers=reviewer)
    assert missing.status_code == 404 and missing.json()["field"] == "host"
    assert policy_client.get("/v1/links/rules", params={"format": "scamsniffer-json"}).json() == ["examp1e.org"]
    assert "examp1e.org" in policy_client.get("/v1/links/rules", params={"format": "metamask-issue"}).text
    with psycopg.connect(settings.database_url) as conn:  # type: ignore[arg-type]
        actions = [row[0] for row in conn.execute(
            "SELECT action FROM audit_events WHERE action LIKE 'links:%' ORDER BY seq")]
    assert actions == ["links:lookalike:confirmed", "links:lookalike:dismissed"]


def test_a_hundred_scans_at_once_lose_no_sighting(settings: Settings, keys: Keys, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 2\nexpires = 2027-12-31T00:00:00Z\n'
                    f'signers = ["{keys.a.address}", "{keys.b.address}"]\n')
    token = create_key(settings.database_url, "pub", "publisher")  # type: ignore[arg-type]

    async def run() -> list[int]:
        app = create_app(msgspec.structs.replace(settings, policy_root=str(root), db_pool_size=10), clock=lambda: NOW)
        async with AsyncTestClient(app=app) as client:
            text = document(1, "")
            (await client.post("/v1/policies", json={"document": text, "signatures": keys.signatures(
                text, keys.a, keys.b)}, headers={"Authorization": f"Bearer {token}"})).raise_for_status()
            answers = await asyncio.gather(*(client.post("/v1/links/scan", json={
                "text": f"claim at https://examp1e.org/{n} and https://{'ab'[n % 2]}-example.io/"})
                for n in range(SCANS)))
            return [answer.status_code for answer in answers]

    assert asyncio.run(run()) == [200] * SCANS
    counts = {r["host"]: r["seen_count"] for r in _rows(settings.database_url)}  # type: ignore[arg-type]
    assert counts == {"examp1e.org": SCANS, "a-example.io": SCANS // 2, "b-example.io": SCANS // 2}


def test_the_cli_exports_the_same_bytes_as_the_api(policy_client: TestClient, keys: Keys,  # noqa: F811
                                                   settings: Settings) -> None:
    _published(policy_client, keys)
    policy_client.get("/v1/links/check", params={"url": "https://examp1e.org/"})
    reviewer = {"Authorization": "Bearer " + create_key(settings.database_url, "rev", "reviewer")}  # type: ignore[arg-type]
    policy_client.post("/v1/links/lookalikes/examp1e.org/decision", json={"decision": "confirm"},
                       headers=reviewer).raise_for_status()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PORTAL_PUBLIC_URL": settings.public_url}
    for fmt in ("scamsniffer-json", "discord-automod", "adblock"):
        cli = subprocess.run([sys.executable, "-m", "portal", "links", "export", "--format", fmt], env=env,
                             capture_output=True, timeout=120, check=True, stdin=subprocess.DEVNULL)
        assert cli.stdout == policy_client.get("/v1/links/rules", params={"format": fmt}).content, fmt


def test_made_up_lookalikes_fill_a_bounded_log_and_known_ones_keep_counting(
        policy_client: TestClient, keys: Keys, settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from portal.domain import lookalikes

    monkeypatch.setattr(lookalikes, "MAX_WAITING", 3)
    _published(policy_client, keys)
    for n in range(6):  # an anonymous flood of made-up hostnames
        assert policy_client.get("/v1/links/check", params={"url": f"https://portal-example.org.x{n}.io/"}
                                 ).json()["verdict"] == "lookalike"
    policy_client.get("/v1/links/check", params={"url": "https://portal-example.org.x0.io/again"})
    rows = _rows(settings.database_url)  # type: ignore[arg-type]
    assert [(r["host"], r["seen_count"]) for r in rows] == [
        ("portal-example.org.x0.io", 2), ("portal-example.org.x1.io", 1), ("portal-example.org.x2.io", 1)]
    reviewer = {"Authorization": "Bearer " + create_key(settings.database_url, "rev", "reviewer")}  # type: ignore[arg-type]
    policy_client.post("/v1/links/lookalikes/portal-example.org.x1.io/decision", json={"decision": "dismiss"},
                       headers=reviewer).raise_for_status()
    policy_client.get("/v1/links/check", params={"url": "https://portal-example.org.x5.io/"})  # room again
    assert "portal-example.org.x5.io" in {r["host"] for r in _rows(settings.database_url)}  # type: ignore[arg-type]
