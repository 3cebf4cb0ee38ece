"""The console's releases page in a real Chromium: a reviewer follows "Releases" from the console's
navigation, reads each release's released, claimed and unclaimed figures and when claims were last
read, and downloads the unclaimed entries; at 1280 px, with axe-core and the keyboard.

The release is published with the ``portal release`` commands (``test_release_pages.publish_release``);
one claim is written as the claim-status sync writes it (the sync itself reads a real chain in
``tests/integration/test_release_chain.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page
from tests.browser.test_console import key, sign_in, staff_context
from tests.browser.test_release_pages import approve_all, publish_release
from tests.integration.staff_helpers import seed_requests

SYNCED_AT = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)


def test_a_reviewer_reads_the_claims_of_each_release(browser, live_server, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    base, database_url = live_server.url, live_server.database_url
    snapshot_id = next(m["id"] for m in httpx.get(base + "/v1/snapshots").json() if m["chain"] == "evm")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(live_server.settings.snapshots))
    monkeypatch.setenv("PORTAL_TOKEN", key(live_server, "pub", "publisher"))
    seed_requests(database_url, 3, snapshot_id=snapshot_id, chain="evm", amount=2 * 10**18)
    approve_all(base, database_url)
    publish_release(base, tmp_path, "evm", 1)
    with psycopg.connect(database_url, autocommit=True) as conn:  # what one sync pass writes for one claim
        conn.execute("INSERT INTO release_claims (destination_chain, number, entry_index, claimed_at, claim_tx, "
                     "block_number) VALUES ('evm', 1, 1, %s, %s, 7)", (SYNCED_AT, "0x" + "ab" * 32))
        conn.execute("UPDATE releases SET synced_at = %s, synced_block = 7", (SYNCED_AT,))
    entries = httpx.get(base + "/v1/releases/evm/1").json()["claims"]
    assert len(entries) == 3

    context = staff_context(browser, live_server)
    page = context.new_page()
    sign_in(page, live_server, key(live_server, "rita", "reviewer"))
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Releases").click()
    expect(page.get_by_role("heading", name="Releases and claims")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Ethereum release 1"))
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text("3 entries")
    expect(cells.nth(1)).to_contain_text("1 entry")
    expect(cells.nth(1)).to_contain_text(f"({entries[1]['amount']} base units)")
    expect(cells.nth(2)).to_contain_text("2 entries")
    expect(cells.nth(3)).to_contain_text("read from the chain at 12:30 UTC on 01 March 2026")
    expect(page.get_by_text("No chain node is configured")).to_be_visible()  # so nobody takes 0 claims for news
    check_page(page, "console-releases-1280")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download unclaimed entries as CSV (Ethereum release 1)").click()
    lines = Path(download_info.value.path()).read_text().splitlines()
    assert lines[0].startswith("index,destination,amount")
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "2"]
    context.close()
