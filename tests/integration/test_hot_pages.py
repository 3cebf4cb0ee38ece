"""The two pages holders hit hardest (``/`` and the eligibility answer), as served from a real app.

They are rendered once and kept (per banner; answers in a bounded LRU), so these tests hold the
kept pages to what a fresh rendering says, and show that a newly published policy reaches them.
"""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.demo.demo_policy import publish_demo_policy
from portal.domain.context import utc_now
from portal.settings import Settings

EVM_HOLDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
SOLANA_HOLDER = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"
NOT_A_HOLDER = "0x" + "ab" * 20


def test_home_page_is_html_with_the_security_headers_and_sets_no_cookie(client: TestClient) -> None:
    for _ in range(2):  # rendered, then kept
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        # The console's CSRF cookie belongs to /staff only; the home page used to set it.
        assert "set-cookie" not in response.headers
        assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize("address", [EVM_HOLDER, SOLANA_HOLDER, NOT_A_HOLDER])
def test_a_kept_answer_page_is_the_page_a_fresh_rendering_gives(settings: Settings, address: str) -> None:
    uncached = msgspec.structs.replace(settings, page_cache_entries=0)
    with TestClient(app=create_app(settings)) as kept, TestClient(app=create_app(uncached)) as fresh:
        first = kept.get("/eligibility", params={"address": address})
        again = kept.get("/eligibility", params={"address": address})
        rendered = fresh.get("/eligibility", params={"address": address})
    assert first.status_code == again.status_code == rendered.status_code == 200
    assert first.content == again.content == rendered.content
    assert "set-cookie" not in first.headers and "script-src 'self'" in first.headers["content-security-policy"]


def test_errors_are_not_kept_and_each_says_what_was_typed(client: TestClient) -> None:
    for typed in ("0x1234", "0x12345"):
        response = client.get("/eligibility", params={"address": typed})
        assert response.status_code == 400
        assert f'value="{typed}"' in response.text and "<title>Error: " in response.text
    assert client.get("/eligibility", params={"address": " "}).status_code == 400
    too_long = client.get("/eligibility", params={"address": "0x" + "a" * 300})
    assert too_long.status_code == 400 and too_long.headers["content-type"].startswith("text/html")
    assert "too long for an address" in too_long.text


def test_each_answer_is_its_own_address(client: TestClient) -> None:
    evm = client.get("/eligibility", params={"address": EVM_HOLDER}).text
    solana = client.get("/eligibility", params={"address": SOLANA_HOLDER}).text
    assert EVM_HOLDER in evm and SOLANA_HOLDER not in evm
    assert SOLANA_HOLDER in solana and EVM_HOLDER not in solana


def test_a_newly_published_policy_reaches_the_kept_pages(settings: Settings, tmp_path: Path) -> None:
    settings = msgspec.structs.replace(settings, banner_ttl_seconds=0.05)  # re-read the policy every 50 ms

    def pages(client: TestClient) -> list[str]:
        return [client.get("/").text, client.get("/eligibility", params={"address": EVM_HOLDER}).text]

    with TestClient(app=create_app(settings)) as client:
        assert all("No signed policy is published yet" in page for page in pages(client))
        publish_demo_policy(settings.database_url or "", tmp_path, public_url=settings.public_url, now=utc_now())
        deadline = time.monotonic() + 10
        while "No signed policy" in pages(client)[0] and time.monotonic() < deadline:
            time.sleep(0.05)
        after = pages(client)
    for page in after:
        assert "No signed policy is published yet" not in page
        assert "The only official links" in page and "version 1" in page
