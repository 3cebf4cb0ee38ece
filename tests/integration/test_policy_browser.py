"""In-browser verification on the policy page, in a real Chromium, against the Python verifier.

The live portal publishes v1, rotates the root, publishes v2. The page's JavaScript (EIP-191
recovery with the vendored @noble bundle) must reach the same verdict and the same signers as
``policy.chain.verify_served`` over the same URLs; after one byte of the stored document changes,
both must refuse. Skipped, with the reason, where Playwright or Chromium is missing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest

from policy.chain import verify_served
from policy.document import parse_document
from policy.errors import BelowThresholdError
from policy.remote import fetch_served
from tests.integration.policy_live import Portal, flip_never, portal, publish_history

__all__ = ["portal"]  # the fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture
def page() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser.new_page()
        finally:
            browser.close()


def python_verdict(portal: Portal) -> list[str]:
    served = fetch_served(f"{portal.base}/policy/official", trusted_sha256=portal.root1_sha256)
    result = verify_served(served.trusted, served.roots, served.versions, parse_document(served.current_raw),
                           now=dt.datetime.now(dt.UTC))
    return sorted(signer.lower() for signer in result.signers)


def browser_verdict(page, portal: Portal) -> tuple[str, list[str], str]:
    page.goto(f"{portal.base}/policy/official")
    status = page.get_by_role("status")
    sync_api.expect(status).not_to_have_attribute("data-verdict", "pending", timeout=20_000)
    signers = status.get_attribute("data-signers") or ""
    return status.get_attribute("data-verdict") or "", sorted(filter(None, signers.split(","))), status.inner_text()


def test_browser_and_python_agree_and_both_refuse_a_tampered_byte(portal: Portal, page) -> None:
    publish_history(portal)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    verdict, signers, text = browser_verdict(page, portal)
    assert verdict == "verified", text
    assert signers == python_verdict(portal) and len(signers) == 2
    assert "trust root version 2" in text and not errors  # no CSP violation, no script error

    flip_never(portal, 2)
    verdict, signers, text = browser_verdict(page, portal)
    assert verdict == "failed" and signers == []
    assert "NOT verified" in text and "signed by 0 of 2" in text
    with pytest.raises(BelowThresholdError, match="signed by 0 of 2"):
        python_verdict(portal)
