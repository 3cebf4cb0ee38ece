"""Policy serving: publish (publisher role, verified as the library verifies), read, pages, links.

Keys are real eth-account keys made here; the root is a real root.toml; the statement shown on the
HTML page is checked with plain eth-account, as any holder could.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient

from policy.document import parse_document
from policy.statement import sign_statement, statement
from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import create_key

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def document(version: int, prev: str, *, expires: str = "2027-02-01T00:00:00Z", body: str = "") -> str:
    return (
        "+++\n"
        f'slug = "official"\nversion = {version}\ntitle = "Official links and support policy"\n'
        f'effective = 2026-11-01T00:00:00Z\nexpires = {expires}\nprev = "{prev}"\n'
        'contacts = ["mailto:security@example.org"]\n'
        '[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
        '[[links]]\nlabel = "Docs"\nurl = "https://docs.example.org/migration"\n'
        '[[contracts]]\nchain = "ethereum"\naddress = "0x5FbDB2315678afecb367f032d93F642f64180aa3"\n'
        'label = "New token"\n'
        "+++\n"
        f"# Official policy\n\nSupport never DMs you first and never asks for your seed phrase.\n{body}"
    )


class Keys:
    def __init__(self) -> None:
        self.a, self.b, self.outsider = Account.create(), Account.create(), Account.create()

    def signatures(self, text: str, *accounts: object) -> list[dict[str, str]]:
        doc = parse_document(text.encode())
        return [{"signer": acct.address, "signature": sign_statement(statement(doc), acct.key)}  # type: ignore[attr-defined]
                for acct in accounts]


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def policy_client(settings: Settings, keys: Keys, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 2\nexpires = 2027-12-31T00:00:00Z\n'
                    f'signers = ["{keys.a.address}", "{keys.b.address}"]\n')
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root)), clock=lambda: NOW)
    with TestClient(app=app) as client:
        client.headers["Authorization"] = "Bearer " + create_key(settings.database_url, "pub", "publisher")  # type: ignore[arg-type]
        yield client


def publish(client: TestClient, text: str, signatures: list[dict[str, str]]):
    return client.post("/v1/policies", json={"document": text, "signatures": signatures})


def test_publish_then_read_back_everywhere(policy_client: TestClient, keys: Keys) -> None:
    v1 = document(1, "")
    response = publish(policy_client, v1, keys.signatures(v1, keys.a, keys.b))
    assert response.status_code == 201, response.text
    sha1 = response.json()["sha256"]
    assert policy_client.get("/v1/policies/official").json()["version"] == 1
    assert policy_client.get("/policy/official.md").content == v1.encode()
    v2 = document(2, sha1, body="Second version.\n")
    assert publish(policy_client, v2, keys.signatures(v2, keys.a, keys.b)).status_code == 201
    assert [p["version"] for p in policy_client.get("/v1/policies").json()] == [2]
    assert policy_client.get("/v1/policies/official/versions/1").json()["sha256"] == sha1
    feed = policy_client.get("/policy/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.text.count("<entry>") == 2
    security = policy_client.get("/.well-known/security.txt").text
    assert "Contact: mailto:security@example.org" in security
    assert "Expires: 2027-02-01T00:00:00Z" in security
    assert "Canonical: https://portal.example.org/.well-known/security.txt" in security
    assert "Policy: https://portal.example.org/policy/official" in security


def test_html_page_statement_verifies_with_plain_eth_account(policy_client: TestClient, keys: Keys) -> None:
    text = document(1, "", body="<script>alert(1)</script>\n")
    signatures = keys.signatures(text, keys.a, keys.b)
    assert publish(policy_client, text, signatures).status_code == 201
    page = policy_client.get("/policy/official")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    # Scripts only from this origin (the in-browser verifier), never inline or eval'd.
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert "default-src 'none'" in csp
    assert "<script>" not in page.text  # raw HTML in Markdown is escaped, never rendered
    assert all(' src="/static/' in tag for tag in re.findall(r"<script[^>]*>", page.text))
    shown = html.unescape(re.search(r'<pre class="exact-text" id="statement"[^>]*>(.*?)</pre>',  # type: ignore[union-attr]
                                    page.text, re.S).group(1))
    for signature in signatures:
        recovered = Account.recover_message(encode_defunct(text=shown), signature=signature["signature"])
        assert recovered == signature["signer"]
        assert signature["signature"] in page.text


@pytest.mark.parametrize(
    ("case", "code"),
    [("one_signature", "below_threshold"), ("outsider", "below_threshold"), ("tampered", "bad_signature"),
     ("version_gap", "not_next_version"), ("expired", "expired")],
)
def test_publish_refusals(policy_client: TestClient, keys: Keys, case: str, code: str) -> None:
    text = document(1, "")
    signatures = keys.signatures(text, keys.a, keys.b)
    if case == "one_signature":
        signatures = signatures[:1]
    elif case == "outsider":
        signatures = keys.signatures(text, keys.a, keys.outsider)
    elif case == "tampered":
        text = text.replace("seed phrase", "seed phrase (or send it to us)")
    elif case == "version_gap":
        text = document(3, "a" * 64)
        signatures = keys.signatures(text, keys.a, keys.b)
    elif case == "expired":
        text = document(1, "", expires="2026-11-10T00:00:00Z")
        signatures = keys.signatures(text, keys.a, keys.b)
    response = publish(policy_client, text, signatures)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    codes = {problem["code"], *(p["code"] for p in problem.get("problems", []))}
    assert code in codes or (case == "tampered" and codes & {"unknown_signer", "below_threshold"}), problem
    assert policy_client.get("/v1/policies").json() == []


def test_rollback_and_republish_are_refused(policy_client: TestClient, keys: Keys) -> None:
    v1 = document(1, "")
    sha1 = publish(policy_client, v1, keys.signatures(v1, keys.a, keys.b)).json()["sha256"]
    v2 = document(2, sha1)
    assert publish(policy_client, v2, keys.signatures(v2, keys.a, keys.b)).status_code == 201
    again = publish(policy_client, v1, keys.signatures(v1, keys.a, keys.b))
    assert again.status_code in (409, 422) and again.json()["code"] in {"not_next_version", "version_exists"}
    wrong_prev = document(3, "b" * 64)
    refused = publish(policy_client, wrong_prev, keys.signatures(wrong_prev, keys.a, keys.b))
    assert refused.json()["code"] == "wrong_prev"


def test_publishing_needs_the_publisher_role(policy_client: TestClient, settings: Settings, keys: Keys) -> None:
    text = document(1, "")
    reviewer = create_key(settings.database_url, "rev", "reviewer")  # type: ignore[arg-type]
    response = policy_client.post("/v1/policies", json={"document": text, "signatures": []},
                                  headers={"Authorization": f"Bearer {reviewer}"})
    assert response.status_code == 403
    anonymous = policy_client.post("/v1/policies", json={"document": text, "signatures": []},
                                   headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_malformed_bodies_are_400_or_422_naming_the_field(policy_client: TestClient) -> None:
    assert publish(policy_client, "no front matter", []).json()["field"] == "document"
    response = policy_client.post("/v1/policies", json={"document": 5})
    assert response.status_code == 400 and response.json()["field"]


def test_links_check_and_rules(policy_client: TestClient, keys: Keys) -> None:
    assert policy_client.get("/v1/links/check", params={"url": "https://portal.example.org"}).json()["verdict"] \
        == "unknown"
    text = document(1, "")
    publish(policy_client, text, keys.signatures(text, keys.a, keys.b))
    check = lambda url: policy_client.get("/v1/links/check", params={"url": url}).json()  # noqa: E731
    assert check("https://portal.example.org/claim")["verdict"] == "official"
    for trick in ["https://portal.example.org@evil.io/", "https://portal.example.org.evil.io/",
                  "https://portal.examp1e.org/", "http://portal.example.org/", "https://93.184.216.34/",
                  "https://portal." + "ex\u0430mple".encode("idna").decode() + ".org/"]:  # Cyrillic a
        assert check(trick)["verdict"] == "lookalike", trick
    assert check("https://uniswap.org")["verdict"] == "unknown"
    rules = policy_client.get("/v1/links/rules").json()
    assert "portal.example.org" in msgspec.json.encode(rules).decode()


def test_ready_fails_when_the_policy_has_expired(settings: Settings, keys: Keys, tmp_path: Path) -> None:
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 1\nexpires = 2030-01-01T00:00:00Z\nsigners = ["{keys.a.address}"]\n')
    now = [NOW]
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root)), clock=lambda: now[0])
    with TestClient(app=app) as client:
        token = create_key(settings.database_url, "pub", "publisher")  # type: ignore[arg-type]
        text = document(1, "")
        client.post("/v1/policies", json={"document": text, "signatures": keys.signatures(text, keys.a)},
                    headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        assert client.get("/ready").status_code == 200
        now[0] = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["policy"]["ok"] is False


def test_scan_endpoint_flags_the_markdown_trick(policy_client: TestClient, keys: Keys) -> None:
    text = document(1, "")
    publish(policy_client, text, keys.signatures(text, keys.a, keys.b))
    message = ("Support here! Claim at [https://portal.example.org/claim](https://portal-example.org.claims.io/) "
               "or read https://docs.example.org/migration.")
    response = policy_client.post("/v1/links/scan", json={"text": message})
    assert response.status_code == 200, response.text
    links = response.json()["links"]
    assert [(link["url"], link["verdict"]) for link in links] == [
        ("https://portal-example.org.claims.io/", "lookalike"), ("https://docs.example.org/migration", "official")]
    assert links[0]["shown"] == "https://portal.example.org/claim" and response.json()["lookalikes"] == 1
    too_long = policy_client.post("/v1/links/scan", json={"text": "x" * 100_001})
    assert too_long.status_code == 400 and too_long.json()["field"]


def test_page_shows_the_command_the_roots_and_the_verifier(policy_client: TestClient, keys: Keys) -> None:
    text = document(1, "")
    publish(policy_client, text, keys.signatures(text, keys.a, keys.b))
    page = policy_client.get("/policy/official").text
    root = policy_client.get("/v1/policies/roots").json()[0]
    assert "portal policy verify --url https://portal.example.org/policy/official --root-sha256" in html.unescape(page)
    assert root["sha256"] in page and 'href="/policy/roots/1.toml"' in page
    assert 'data-verdict="pending"' in page
    script = re.search(r'<script type="module" src="(/static/js/policy-verify\.js[^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert policy_client.get(script).status_code == 200
    assert policy_client.get("/static/vendor/noble/noble.js").status_code == 200
    assert policy_client.get("/policy/roots/1.toml").content == root["document"].encode()
    assert policy_client.get("/policy/roots/9.toml").status_code == 404
    assert policy_client.get("/policy/official/versions/1.md").content == text.encode()
    assert policy_client.get("/policy/official/versions/x.md").status_code == 404


def test_a_server_started_with_another_root_refuses_to_publish(settings: Settings, keys: Keys, tmp_path: Path,
                                                               policy_client: TestClient) -> None:
    text = document(1, "")
    assert publish(policy_client, text, keys.signatures(text, keys.a, keys.b)).status_code == 201
    other = tmp_path / "other-root.toml"
    other.write_text(f'version = 1\nthreshold = 1\nexpires = 2027-12-31T00:00:00Z\n'
                     f'signers = ["{keys.outsider.address}"]\n')
    app = create_app(msgspec.structs.replace(settings, policy_root=str(other)), clock=lambda: NOW)
    with TestClient(app=app) as client:
        v2 = document(2, parse_document(text.encode()).sha256)
        response = client.post("/v1/policies", json={"document": v2, "signatures": keys.signatures(v2, keys.outsider)},
                               headers={"Authorization": policy_client.headers["Authorization"]})
        assert response.status_code == 422 and response.json()["code"] == "root_mismatch"


def test_signed_security_txt_is_served_verbatim(settings: Settings, tmp_path: Path) -> None:
    signed = tmp_path / "security.txt"
    signed.write_bytes(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nContact: mailto:a@example.org\n")
    app = create_app(msgspec.structs.replace(settings, security_txt=str(signed)), clock=lambda: NOW)
    with TestClient(app=app) as client:
        assert client.get("/.well-known/security.txt").content == signed.read_bytes()
