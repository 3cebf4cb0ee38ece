"""Why an eligibility answer is what it is: the snapshot's source, the exclude list's reason, the check page."""

from __future__ import annotations

import hashlib
import html
import re
from importlib import resources

from litestar.testing import TestClient

from tests.conftest import REPO_ROOT

EXCLUDED_EVM = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # the demo's exchange (Hardhat account 19)
LISTED_EVM = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
UNLISTED_EVM = "0x1234567890123456789012345678901234567890"
EXCLUDED_SOLANA = "EzGiJXK1RBVH5F6u18VMqpT46vubgnapr9YHtKEx7TEH"


def _demo_sha256(name: str) -> str:
    return hashlib.sha256(resources.files("portal.demo").joinpath(name).read_bytes()).hexdigest()


def test_every_answer_names_its_snapshot_source(client: TestClient) -> None:
    listed = client.get(f"/v1/eligibility/{LISTED_EVM}").json()
    unlisted = client.get(f"/v1/eligibility/{UNLISTED_EVM}").json()
    expected = {"chain": "evm", "block": None, "block_time": None, "method": "holder-list (DEMO)",
                "exclude_sha256": _demo_sha256("exclude-evm.txt")}
    assert listed["eligible"] and listed["source"] == expected and listed["excluded"] is None
    assert not unlisted["eligible"] and unlisted["source"] == expected and unlisted["excluded"] is None


def test_an_excluded_address_gets_its_category_and_note(client: TestClient) -> None:
    evm = client.get(f"/v1/eligibility/{EXCLUDED_EVM.lower()}").json()
    assert evm["eligible"] is False
    assert evm["excluded"] == {"category": "exchange",
                               "note": "DEMO exchange hot wallet; the exchange migrates for its customers"}
    solana = client.get(f"/v1/eligibility/{EXCLUDED_SOLANA}").json()
    assert solana["excluded"] == {"category": "pool", "note": "DEMO liquidity pool vault"}
    assert solana["source"]["exclude_sha256"] == _demo_sha256("exclude-solana.txt")


def test_the_result_page_says_why_and_offers_to_ask(client: TestClient) -> None:
    page = client.get("/eligibility", params={"address": EXCLUDED_EVM}).text
    assert "This address was left out on purpose" in page and "<strong>exchange</strong>" in page
    assert "DEMO exchange hot wallet" in page and _demo_sha256("exclude-evm.txt") in page
    assert f'href="/cases/new?address={EXCLUDED_EVM}"' in page and 'href="/snapshot-check"' in page
    listed = client.get("/eligibility", params={"address": LISTED_EVM}).text
    assert "left out on purpose" not in listed and "Ask about this address" in listed
    assert "a holder list given by hand" not in listed and "holder-list (DEMO)" in listed


def test_the_check_page_is_the_readme_section_with_this_sites_values(client: TestClient) -> None:
    page = html.unescape(client.get("/snapshot-check").text)
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("**Check the published snapshot yourself.**", 1)[1].split("\n## ", 1)[0]
    commands = [re.sub(r"\s+#.*$", "", line).strip() for line in section.splitlines()
                if line.startswith("portal snapshot")]
    assert len(commands) == 2
    for command in commands:
        assert command in page
    assert "portal snapshot proof <sha256>.snap <your address>" in page
    for manifest in client.get("/v1/snapshots").json():
        assert manifest["sha256"] in page and manifest["merkle_root"] in page
    assert "https://portal.example.org/v1/snapshots" in page
