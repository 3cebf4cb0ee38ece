"""The holder's request page at each stage after approval, at 375 px, with axe-core and the keyboard:
approved and waiting for a release; in release 1 with the proof, the contract and the claim call.

The release is prepared, named, signed with the live server's DEMO policy keys (a 2-of-2 root the
fixture publishes) and published with the ``portal release`` commands, as an operator would.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import psycopg
import pytest
from eth_account import Account
from playwright.sync_api import expect

from policy.release import parse_release, release_statement
from policy.signatures import Signature, dump_signatures, sig_path
from policy.statement import sign_statement
from portal.cli import main
from tests.browser.conftest import PHONE_WIDTH_PX, check_page, in_thread, open_context
from tests.integration.case_helpers import DESTINATION, EXCLUDED
from tests.integration.case_helpers import sign as case_sign
from tests.integration.staff_helpers import EPOCH, create_key, random_solana_address, seed_requests

DISTRIBUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SOLANA_PROGRAM = "mERKcfxMC5SqJn4Ld4BUris3WKZZ1ojjWJ3A3J5CKxv"
SOLANA_DISTRIBUTOR = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"


def approve_all(base: str, database_url: str) -> None:
    headers = {"Authorization": f"Bearer {in_thread(create_key, database_url, f'ada-{secrets.token_hex(3)}', 'admin')}"}
    while (claimed := httpx.post(base + "/v1/review/claim", headers=headers)).status_code == 200:
        decided = httpx.post(f"{base}/v1/review/requests/{claimed.json()['request_id']}/decision", headers=headers,
                             json={"decision": "approve"})
        assert decided.status_code == 200, decided.text


def open_request(page, base: str, request_id: str, token: str) -> None:
    page.goto(f"{base}/requests/{request_id}")
    page.get_by_role("textbox", name="Status token", exact=True).fill(token)  # the request page, once it has loaded
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_role("heading", name="Your request", exact=True)).to_be_visible()


def test_the_request_page_says_what_happens_next(browser, live_server, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base, database_url = live_server.url, live_server.database_url
    snapshot_id = next(m["id"] for m in httpx.get(base + "/v1/snapshots").json() if m["chain"] == "evm")
    [holder] = seed_requests(database_url, 1, snapshot_id=snapshot_id, chain="evm")
    approve_all(base, database_url)
    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    page = context.new_page()

    open_request(page, base, str(holder.request_id), holder.status_token)
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_text("staff publish a signed release")).to_be_visible()
    check_page(page, "375-request-approved-waiting")

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(live_server.settings.snapshots))
    monkeypatch.setenv("PORTAL_TOKEN", in_thread(create_key, database_url, "pub", "publisher"))
    doc = tmp_path / "release-evm-1.md"
    assert in_thread(main, ["release", "prepare", "--destination-chain", "evm", "--out", str(doc)]) == 0
    assert in_thread(main, ["release", "distributor", str(doc), DISTRIBUTOR]) == 0
    keys = json.loads((tmp_path / "demo-policy" / "DEMO-KEYS.json").read_text())["demo_private_keys"]
    line = release_statement(parse_release(doc.read_bytes()))
    dump_signatures(sig_path(doc), [Signature(Account.from_key(k).address, sign_statement(line, k)) for k in keys])
    assert in_thread(main, ["release", "publish", str(doc), "--url", base]) == 0

    open_request(page, base, str(holder.request_id), holder.status_token)
    expect(page.get_by_role("heading", name="Claim your tokens")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="In release 1: claim")).to_contain_text(DISTRIBUTOR)
    expect(page.get_by_text('"claim(uint256,address,uint256,bytes32[])"')).to_be_visible()
    check_page(page, "375-request-in-release")
    context.close()


def publish_release(base: str, tmp_path: Path, chain: str, number: int, *extra: str) -> None:
    doc = tmp_path / f"release-{chain}-{number}.md"
    assert in_thread(main, ["release", "prepare", "--destination-chain", chain, "--out", str(doc), *extra]) == 0
    naming = [DISTRIBUTOR] if chain == "evm" else [SOLANA_DISTRIBUTOR, "--program", SOLANA_PROGRAM]
    assert in_thread(main, ["release", "distributor", str(doc), *naming]) == 0
    keys = json.loads((tmp_path / "demo-policy" / "DEMO-KEYS.json").read_text())["demo_private_keys"]
    line = release_statement(parse_release(doc.read_bytes()))
    dump_signatures(sig_path(doc), [Signature(Account.from_key(k).address, sign_statement(line, k)) for k in keys])
    assert in_thread(main, ["release", "publish", str(doc), "--url", base]) == 0


def test_the_releases_page_verifies_every_tree_in_the_browser(browser, live_server, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base, database_url = live_server.url, live_server.database_url
    snapshot_id = next(m["id"] for m in httpx.get(base + "/v1/snapshots").json() if m["chain"] == "evm")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(live_server.settings.snapshots))
    monkeypatch.setenv("PORTAL_TOKEN", in_thread(create_key, database_url, "pub", "publisher"))
    seed_requests(database_url, 3, snapshot_id=snapshot_id, chain="evm")
    seed_requests(database_url, 3, snapshot_id=snapshot_id, chain="evm", destination=random_solana_address(),
                  start=EPOCH.replace(month=2))
    seed_requests(database_url, 2, snapshot_id=snapshot_id, chain="evm", destination=random_solana_address(),
                  start=EPOCH.replace(month=3))
    approve_all(base, database_url)
    publish_release(base, tmp_path, "evm", 1)
    publish_release(base, tmp_path, "solana", 1)
    seed_requests(database_url, 3, snapshot_id=snapshot_id, chain="evm", start=EPOCH.replace(month=4))
    approve_all(base, database_url)
    publish_release(base, tmp_path, "evm", 2, "--tree", "oz")

    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    page = context.new_page()
    page.goto(base + "/releases")
    verdict = page.locator("#release-verify [data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "verified", timeout=20_000)
    expect(verdict).to_contain_text("3 release(s)")
    expect(page.get_by_role("heading", name="Solana: release 1")).to_be_visible()
    expect(page.get_by_text(SOLANA_PROGRAM)).to_be_visible()
    check_page(page, "375-releases")

    with psycopg.connect(database_url, autocommit=True) as conn:  # a server that edits an amount is caught
        conn.execute("UPDATE releases SET entries_file = convert_to(replace(convert_from(entries_file, 'UTF8'), "
                     "'\"index\":1,', '\"index\":1, '), 'UTF8') WHERE destination_chain = 'solana'")
    page.reload()
    expect(verdict).to_have_attribute("data-verdict", "failed", timeout=20_000)
    expect(verdict).to_contain_text("release 1 of solana: the entries do not hash to entries_sha256")
    context.close()


def test_the_releases_page_lists_the_corrections_its_signed_document_lists(browser, live_server, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    base, database_url = live_server.url, live_server.database_url
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(live_server.settings.snapshots))
    monkeypatch.setenv("PORTAL_TOKEN", in_thread(create_key, database_url, "pub", "publisher"))
    challenge = httpx.post(base + "/v1/challenges", json={"address": EXCLUDED.address, "destination": DESTINATION,
                                                          "method": "eip191", "purpose": "case"}).json()
    case = httpx.post(base + "/v1/cases", json={
        "challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot", "text": "My own private words.",
        "signature": case_sign(EXCLUDED, challenge["message"])}).json()
    staff = {"Authorization": f"Bearer {in_thread(create_key, database_url, 'ann', 'approver')}"}
    path = f"{base}/v1/review/cases/{case['case_id']}"
    assert httpx.post(f"{path}/claim", headers=staff).status_code == 200
    decided = httpx.post(f"{path}/decision", headers=staff, json={
        "outcome": "upheld", "reason": 'Withdrawn before the "snapshot" block.', "amount": str(300 * 10**18)})
    assert decided.status_code == 200, decided.text
    publish_release(base, tmp_path, "evm", 1)

    context = open_context(browser, live_server, width=PHONE_WIDTH_PX, height=740)
    page = context.new_page()
    page.goto(base + "/releases")
    verdict = page.locator("#release-verify [data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "verified", timeout=20_000)  # the section checked too
    expect(page.get_by_role("heading", name="Corrections in this release")).to_be_visible()
    main_text = page.get_by_role("main")
    expect(main_text).to_contain_text(case["case_id"])
    expect(main_text).to_contain_text('Withdrawn before the "snapshot" block.')
    expect(main_text).to_contain_text(EXCLUDED.address)
    expect(main_text).not_to_contain_text("My own private words.")
    check_page(page, "375-releases-corrections")
    context.close()
