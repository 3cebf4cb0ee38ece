"""One signed statement per document: the browser's verifier and ``policy/`` read the same bytes by one rule.

Table-driven over every document the tools write (``portal policy new`` with its comments,
``portal policy next``, the demo's, a CRLF copy, hand-written forms the rule allows) and over each
one tampered: the page's own module (``policy-verify.js``, imported in Chromium) and the Python
verifier must reach the same verdict, the same statement and the same signers. Documents the
Python parser refuses must not verify in the browser either. The demo's own page must say Verified
for the version ``portal policy new`` writes (the comment on ``prev = ""`` once made it fail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from eth_account import Account

from policy.canonical import statement_text
from policy.demo import demo_document
from policy.document import parse_document
from policy.errors import PolicyError
from policy.root import parse_root, root_toml
from policy.statement import sign_statement, statement
from policy.verify import check_policy
from portal.cli import main
from tests.browser.conftest import LiveServer

KEYS = [Account.create(), Account.create()]
ROOT = parse_root(root_toml(version=1, threshold=2, expires="2099-01-01T00:00:00Z",
                            signers=[a.address for a in KEYS]).encode())
NOW = dt.datetime.now(dt.UTC)


def tool_documents(tmp_path: Path) -> dict[str, bytes]:
    """What `portal policy new` and `next` write, the demo's version, and forms a person may type."""
    first, second = tmp_path / "v1.md", tmp_path / "v2.md"
    assert main(["policy", "new", "--out", str(first), "--url", "https://migrate.example.org"]) == 0
    assert b'prev = ""  # ' in first.read_bytes()  # the comment this bug was about
    assert main(["policy", "next", str(first), "--out", str(second)]) == 0
    v1 = first.read_bytes()
    docs = {
        "new": v1,
        "next": second.read_bytes(),
        "demo": demo_document(public_url="http://127.0.0.1:8000", now=NOW, version=1, prev="").raw,
        "crlf": v1.replace(b"\n", b"\r\n"),
        "literal strings and comments": v1.replace(b'slug = "official"', b"slug = 'official'  # the page")
                                          .replace(b"version = 1", b"version = 1 # first"),
        "fences with spaces": v1.replace(b"+++\n", b"+++  \n", 1),
    }
    for raw in docs.values():
        parse_document(raw)  # every one is a document the Python side accepts
    return docs


def python_verdict(raw: bytes, signatures: list[dict], previous: bytes | None = None) -> dict:
    from policy.signatures import Signature

    try:
        doc = parse_document(raw)
    except PolicyError as exc:
        return {"ok": False, "why": exc.code}
    result = check_policy(doc, [Signature(s["signer"], s["signature"]) for s in signatures], ROOT,
                          previous=parse_document(previous) if previous else None, now=NOW)
    return {"ok": result.ok, "statement": statement(doc),
            "signers": sorted(s.lower() for s in result.signers) if result.ok else []}


def browser_verdict(page, module_url: str, raw: bytes, signatures: list[dict]) -> dict:
    return page.evaluate(
        """async ([url, bytes, signatures, root]) => {
             const verifier = await import(url);
             const raw = Uint8Array.from(bytes);
             let statement = null;
             try { statement = verifier.policyStatement(raw).statement; } catch (e) { statement = null; }
             try {
               const result = verifier.verifyDocument(raw, signatures, root);
               return {ok: true, statement, signers: [...result.signers].sort()};
             } catch (error) {
               return {ok: false, statement, why: error.message};
             }
           }""",
        [module_url, list(raw), signatures, {"version": 1, "threshold": 2, "signers": [a.address for a in KEYS]}])


def signed(text: str) -> list[dict]:
    return [{"signer": a.address, "signature": sign_statement(text, a.key)} for a in KEYS]


def tamper(raw: bytes) -> bytes:
    at = raw.rindex(b"never")
    return raw[:at] + b"N" + raw[at + 1:]


@pytest.fixture
def verifier_page(page, live_server: LiveServer):
    page.goto(f"{live_server.url}/policy/official")
    module_url = page.locator('script[type="module"][src*="policy-verify.js"]').get_attribute("src")
    return page, module_url


def test_both_verifiers_agree_on_every_document_the_tools_write(verifier_page, tmp_path: Path) -> None:
    page, module_url = verifier_page
    docs = tool_documents(tmp_path)
    for name, raw in docs.items():
        signatures = signed(statement(parse_document(raw)))
        previous = docs["new"] if name == "next" else None
        expected = python_verdict(raw, signatures, previous)
        got = browser_verdict(page, module_url, raw, signatures)
        assert expected["ok"] is True, name
        assert got == {"ok": True, "statement": expected["statement"], "signers": expected["signers"]}, name
        bad = tamper(raw)
        assert python_verdict(bad, signatures, previous)["ok"] is False, name
        refused = browser_verdict(page, module_url, bad, signatures)
        assert refused["ok"] is False and "signed by 0 of 2" in refused["why"], (name, refused)
        assert refused["statement"] == statement(parse_document(bad)), name  # same rule, even on bad bytes


@pytest.mark.parametrize("change", [
    (b'prev = ""', b'prev = ""\nprev = ""'),                       # twice: TOML refuses, so must the browser
    (b"version = 1", b'version = 1\ntitle2 = """\nversion = 2\n"""'),  # a second "version" line in a string
    (b'slug = "official"', b'"slug" = "official"'),               # a quoted key the rule does not read
    (b'slug = "official"', b'slug = "off\\u0069cial"'),            # an escape the rule does not read
])
def test_documents_read_two_ways_are_refused_by_both(verifier_page, tmp_path: Path, change) -> None:
    page, module_url = verifier_page
    raw = tool_documents(tmp_path)["new"].replace(*change, 1)
    assert python_verdict(raw, [])["ok"] is False
    # Signed over what a naive reader would take the statement to be: the browser must still refuse.
    naive = statement_text("official", 2 if b"version = 2" in raw else 1, hashlib.sha256(raw).hexdigest(), "")
    assert browser_verdict(page, module_url, raw, signed(naive))["ok"] is False


def test_the_demo_page_says_verified_for_the_document_policy_new_writes(page, live_server: LiveServer,
                                                                       tmp_path: Path) -> None:
    from playwright.sync_api import expect

    served = (tmp_path / "demo-policy" / "official.md").read_bytes()
    assert b'prev = ""  # ' in served  # version 1 as `portal policy new` writes it, comment and all
    page.goto(f"{live_server.url}/policy/official")
    status = page.get_by_role("status")
    expect(status).to_have_attribute("data-verdict", "verified", timeout=20_000)
    assert "Verified in your browser: version 1" in status.inner_text()
