"""The security bulletin in a real Chromium: its page verifies it in the browser (the policy page's own
verifier, the same as ``portal policy verify``), ``/`` shows it while it is in force, and a changed
byte is refused."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from eth_account import Account
from playwright.sync_api import expect

from policy.bulletin import BulletinDraft, compose
from policy.document import parse_document
from policy.statement import sign_statement, statement
from tests.browser.conftest import LiveServer, in_thread, screenshot
from tests.integration.staff_helpers import create_key


@pytest.fixture
def server_settings() -> dict:
    return {"banner_ttl_seconds": 0.1}  # the home page re-reads the signed documents every 100 ms


SCAM = "Fake 'validation' sites sent by bots named Migration Support."


def publish_bulletin(live_server: LiveServer, demo_dir: Path) -> str:
    """A bulletin signed by the demo root's keys (2 of 2), published like a policy version."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    text = compose(BulletinDraft(
        version=1, prev="", effective=now, expires=now + dt.timedelta(days=7), scams=(SCAM,),
        lookalikes=("examp1e.org",), policy_url=f"{live_server.url}/policy/official",
        bulletin_url=f"{live_server.url}/policy/bulletin", blocklist_url=f"{live_server.url}/v1/links/rules"))
    keys = json.loads((demo_dir / "DEMO-KEYS.json").read_text())["demo_private_keys"]
    line = statement(parse_document(text.encode()))
    token = in_thread(create_key, live_server.database_url, "pub", "publisher")
    response = httpx.post(f"{live_server.url}/v1/policies", headers={"Authorization": f"Bearer {token}"}, json={
        "document": text, "signatures": [{"signer": Account.from_key(k).address, "signature": sign_statement(line, k)}
                                         for k in keys]})
    assert response.status_code == 201, response.text
    return text


def verdict(page, live_server: LiveServer) -> tuple[str, str]:
    page.goto(f"{live_server.url}/policy/bulletin")
    status = page.get_by_role("status")
    expect(status).not_to_have_attribute("data-verdict", "pending", timeout=20_000)
    return status.get_attribute("data-verdict") or "", status.inner_text()


def test_the_bulletin_verifies_in_the_browser_and_shows_on_the_home_page(page, live_server: LiveServer,
                                                                        tmp_path: Path) -> None:
    publish_bulletin(live_server, tmp_path / "demo-policy")
    result, text = verdict(page, live_server)
    assert result == "verified", text
    assert page.get_by_text("examp1e[.]org").is_visible()
    screenshot(page, "bulletin-verified")
    deadline = time.monotonic() + 20
    page.goto(live_server.url + "/")
    while not page.get_by_role("region", name="Security bulletin").count():
        assert time.monotonic() < deadline, "the home page never showed the bulletin"
        time.sleep(0.2)
        page.reload()
    expect(page.get_by_role("region", name="Security bulletin")).to_contain_text(SCAM)
    page.get_by_role("link", name="Read the signed security bulletin").click()
    expect(page).to_have_url(f"{live_server.url}/policy/bulletin")

    with psycopg.connect(live_server.database_url, autocommit=True) as conn:  # a compromised server, one byte
        conn.execute("UPDATE policy_versions SET document = overlay(document placing 'X'::bytea from "
                     "position('Fake'::bytea in document) for 1) WHERE slug = 'bulletin'")
    result, text = verdict(page, live_server)
    assert result == "failed" and "NOT verified" in text
