"""In-browser verification on the policy page, in a real Chromium, against the Python verifier.

The live server (``tests/browser/conftest.py``) publishes the DEMO policy v1 under the demo's
2-of-2 root; this test rotates the root to two new keys (old and new keys sign) and publishes v2
under it. The page's JavaScript (EIP-191 recovery with the vendored @noble bundle) must reach the
same verdict and the same signers as ``policy.chain.verify_served`` over the same URLs, pinned to
root 1's sha256; after one byte of the stored document changes, both must refuse.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import psycopg
import pytest
from eth_account import Account

from policy.chain import verify_served
from policy.document import parse_document
from policy.errors import BelowThresholdError
from policy.remote import fetch_served
from policy.root import parse_root, root_statement
from policy.scaffold import next_document
from policy.statement import sign_statement, statement
from tests.browser.conftest import LiveServer, in_thread, screenshot
from tests.integration.staff_helpers import create_key

NEW = [Account.create(), Account.create()]


def rotate_and_publish_v2(live_server: LiveServer, demo_dir: Path) -> str:
    """Root 2 signed by the demo keys and the new ones; v2 signed by the new keys. Returns root 1's sha256."""
    old_keys = json.loads((demo_dir / "DEMO-KEYS.json").read_text())["demo_private_keys"]
    root1 = parse_root((demo_dir / "root.toml").read_bytes())
    token = in_thread(create_key, live_server.database_url, "pub", "publisher")
    headers = {"Authorization": f"Bearer {token}"}
    signers = ", ".join(f'"{a.address}"' for a in NEW)
    root2 = parse_root(f"version = 2\nthreshold = 2\nexpires = 2099-01-01T00:00:00Z\nsigners = [{signers}]\n".encode())
    line = root_statement(root2)
    signatures = [{"signer": Account.from_key(k).address, "signature": sign_statement(line, k)}
                  for k in [*old_keys, *(a.key for a in NEW)]]
    response = httpx.post(f"{live_server.url}/v1/policies/roots", headers=headers,
                          json={"root": root2.raw.decode(), "signatures": signatures})
    assert response.status_code == 201, response.text
    v1 = parse_document(httpx.get(f"{live_server.url}/policy/official.md").content)
    v2 = next_document(v1, now=dt.datetime.now(dt.UTC))
    line = statement(parse_document(v2.encode()))
    response = httpx.post(f"{live_server.url}/v1/policies", headers=headers, json={
        "document": v2, "signatures": [{"signer": a.address, "signature": sign_statement(line, a.key)} for a in NEW]})
    assert response.status_code == 201 and response.json()["root_version"] == 2, response.text
    return root1.sha256


def python_signers(live_server: LiveServer, root_sha256: str) -> list[str]:
    served = fetch_served(f"{live_server.url}/policy/official", trusted_sha256=root_sha256)
    result = verify_served(served.trusted, served.roots, served.versions, parse_document(served.current_raw),
                           now=dt.datetime.now(dt.UTC))
    return sorted(signer.lower() for signer in result.signers)


def browser_verdict(page, live_server: LiveServer) -> tuple[str, list[str], str]:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/policy/official")
    status = page.get_by_role("status")
    expect(status).not_to_have_attribute("data-verdict", "pending", timeout=20_000)
    signers = status.get_attribute("data-signers") or ""
    return status.get_attribute("data-verdict") or "", sorted(filter(None, signers.split(","))), status.inner_text()


def test_browser_and_python_agree_and_both_refuse_a_tampered_byte(page, live_server: LiveServer,
                                                                  tmp_path: Path) -> None:
    root1_sha256 = rotate_and_publish_v2(live_server, tmp_path / "demo-policy")
    verdict, signers, text = browser_verdict(page, live_server)
    assert verdict == "verified", text
    assert signers == python_signers(live_server, root1_sha256) == sorted(a.address.lower() for a in NEW)
    assert "version 2" in text and "trust root version 2" in text
    assert page.get_by_role("heading", name="Check it in a terminal").is_visible()
    assert f"portal policy verify --url {live_server.url}/policy/official" in page.locator("pre").first.inner_text()
    screenshot(page, "policy-verified")

    with psycopg.connect(live_server.database_url, autocommit=True) as conn:  # a compromised server, one byte
        conn.execute("UPDATE policy_versions SET document = overlay(document placing 'N'::bytea from "
                     "position('never'::bytea in document) for 1) WHERE version = 2")
    verdict, signers, text = browser_verdict(page, live_server)
    assert verdict == "failed" and signers == []
    assert "NOT verified" in text and "signed by 0 of 2" in text
    with pytest.raises(BelowThresholdError, match="signed by 0 of 2"):
        python_signers(live_server, root1_sha256)
    screenshot(page, "policy-tampered")
