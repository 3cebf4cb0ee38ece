"""Issue 20's decimals bug: one rule shows an amount to holders and staff alike.

A snapshot whose manifest declares 6 decimals, served with ``PORTAL_TOKEN_DECIMALS=18``: the holder
reads the amount in tokens by the manifest (eligibility page and JSON) and in base units (status
page and JSON); the console's evidence page and queue must say the same, not the setting's tokens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import snapshot
from portal.app import create_app
from portal.settings import Settings
from snapshot.addresses import to_checksum_address
from tests.integration.staff_helpers import create_key, seed_requests
from tests.integration.test_console_api import console_client, sign_in

BASE_UNITS = 1_234_500_000  # 1,234.5 tokens at the manifest's 6 decimals; 0.0000000012345 at 18
HOLDER = to_checksum_address(bytes.fromhex("5a" * 20))


@pytest.fixture
def six_decimal_snapshot(tmp_path: Path) -> str:
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\n{HOLDER},{BASE_UNITS}\n")
    return snapshot.build_artifact(source, tmp_path / "out", decimals=6).path


def test_holder_and_console_show_one_amount(database_url: str, six_decimal_snapshot: str) -> None:
    settings = Settings(database_url=database_url, snapshots=(six_decimal_snapshot,), token_decimals=18,
                        public_url="https://portal.example.org", rate_limit_per_minute=0, staff_sign_in_per_minute=0)
    with console_client(create_app(settings)) as client:
        snapshot_id = client.get("/v1/snapshots").json()[0]["id"]
        seeded = seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=[HOLDER],
                               amount=BASE_UNITS)[0]

        # the holder: tokens by the manifest's decimals, and the request's base units
        eligibility = client.get(f"/v1/eligibility/{HOLDER}").json()
        assert (eligibility["amount"], eligibility["decimals"]) == (str(BASE_UNITS), 6)
        assert "1,234.5 tokens" in client.get("/eligibility", params={"address": HOLDER}).text
        status = client.get(f"/v1/requests/{seeded.request_id}",
                            headers={"Authorization": f"Bearer {seeded.status_token}"}).json()
        assert status["amount"] == str(BASE_UNITS)
        status_page = client.post(f"/requests/{seeded.request_id}", data={"status_token": seeded.status_token})
        assert f"<code>{BASE_UNITS}</code> base units" in status_page.text
        assert '<span class="value">1,234.5</span> tokens' in status_page.text  # tokens first, by the manifest

        # staff: the same tokens and the same base units, not the setting's 18 decimals
        assert sign_in(client, create_key(database_url, "ada", "admin")).status_code == 303
        evidence = client.get(f"/staff/requests/{seeded.request_id}")
        assert evidence.status_code == 200
        shown = re.search(r'<dd id="amount">(.*?)</dd>', evidence.text, re.S)
        assert shown is not None
        assert re.sub(r"<[^>]+>", "", shown.group(1)) == f"1,234.5 tokens ({BASE_UNITS} base units)"
        queue = client.get("/staff/queue")
        assert '<span class="value">1,234.5</span>' in queue.text and "0.0000000012345" not in queue.text
