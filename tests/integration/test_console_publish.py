"""Publishing in the console (issue 22 item 8) on a real database with real keys.

A 2-of-2 trust root of two eth-account keys; two publishers, each signed in to their own console
session, add a signature each; the server checks every one as ``portal policy add-signature`` does
(outsiders, slips, malformed and repeated signatures refused), shows k of the threshold, unlocks
Publish at the threshold and publishes as ``POST /v1/policies`` does. Releases go the same way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest
from eth_account import Account
from litestar.testing import TestClient

from policy.document import parse_document
from policy.release import parse_release, release_statement
from policy.root import parse_root
from policy.signatures import Signature, decode_signature_file, encode_signature_file
from policy.statement import sign_statement, statement
from policy.verify import verify_policy
from portal.app import create_app
from portal.cli import main
from portal.settings import Settings
from tests.integration.staff_helpers import bearer, create_key, seed_requests
from tests.integration.test_console_api import console_client, csrf_of, sign_in

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
A, B, OUTSIDER = Account.create(), Account.create(), Account.create()
PENDING_URL = re.compile(r"/staff/publish/([0-9a-f-]{36})")
DISTRIBUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def document(version: int = 1, prev: str = "", newline: str = "\n") -> bytes:
    text = ("+++\n"
            f'slug = "official"\nversion = {version}\ntitle = "Official links"  # shown as the page title\n'
            f'effective = 2026-11-01T00:00:00Z\nexpires = 2027-02-01T00:00:00Z\nprev = "{prev}"\n'
            '[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
            "+++\n# Official links\n\nSupport never DMs you first.\n")
    return text.replace("\n", newline).encode()


def signed(raw: bytes, account) -> str:  # type: ignore[no-untyped-def]
    return sign_statement(statement(parse_document(raw)), account.key)


@pytest.fixture
def root_path(tmp_path: Path) -> Path:
    path = tmp_path / "root.toml"
    path.write_text(f'version = 1\nthreshold = 2\nexpires = 2027-12-31T00:00:00Z\n'
                    f'signers = ["{A.address}", "{B.address}"]\n')
    return path


@pytest.fixture
def app(settings: Settings, root_path: Path):  # type: ignore[no-untyped-def]
    configured = msgspec.structs.replace(settings, policy_root=str(root_path), staff_sign_in_per_minute=0)
    return create_app(configured, clock=lambda: NOW)


class Seat:
    """One staff member's browser: the shared test client with this member's own cookies (one
    TestClient per app: two would run the app's lifespan twice)."""

    def __init__(self, client: TestClient, database_url: str, name: str, role: str = "publisher") -> None:
        self.client = client
        client.cookies.clear()
        self.signed_in = sign_in(client, create_key(database_url, name, role))
        self.cookies = httpx.Cookies(client.cookies)
        self.app = client.app

    def _use(self) -> TestClient:
        self.client.cookies = httpx.Cookies(self.cookies)
        return self.client

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self._use().get(url, **kwargs)

    def post(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self._use().post(url, **kwargs)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with console_client(app) as test_client:
        yield test_client


@pytest.fixture
def publishers(client: TestClient, database_url: str) -> tuple[Seat, Seat]:
    """Two publishers, each with their own session."""
    seats = Seat(client, database_url, "pia"), Seat(client, database_url, "pete")
    for seat in seats:
        assert seat.signed_in.status_code == 303 and seat.signed_in.headers["location"] == "/staff/publish"
    return seats


def upload(client: Seat, raw: bytes, *, entries: bytes | None = None, signatures: bytes | None = None):  # type: ignore[no-untyped-def]
    files = {"document": ("official.md", raw, "text/markdown")}
    if entries is not None:
        files["entries"] = ("release-evm-1.entries.json", entries, "application/json")
    if signatures is not None:
        files["signatures"] = ("official.md.sig.json", signatures, "application/json")
    return client.post("/staff/publish", data={"_csrf_token": csrf_of(client.get("/staff/publish"))}, files=files,
                       follow_redirects=False)


def uploaded(client: Seat, raw: bytes, **kwargs) -> str:  # type: ignore[no-untyped-def]
    response = upload(client, raw, **kwargs)
    assert response.status_code == 303, response.text
    found = PENDING_URL.search(response.headers["location"])
    assert found
    return found.group(1)


def add(client: Seat, pending_id: str, signature: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/publish/{pending_id}")
    return client.post(f"/staff/publish/{pending_id}/signatures",
                       data={"_csrf_token": csrf_of(page), "signature": signature}, follow_redirects=False)


def publish(client: Seat, pending_id: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/publish/{pending_id}")
    return client.post(f"/staff/publish/{pending_id}/publish", data={"_csrf_token": csrf_of(page)},
                       follow_redirects=False)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


def publish_button_enabled(page_text: str) -> bool:
    found = re.search(r'<button class="button" type="submit"( disabled)?>Publish</button>', page_text)
    assert found, "no Publish button"
    return found.group(1) is None


def audit_actions(database_url: str, subject_prefix: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute("SELECT action FROM audit_events WHERE subject LIKE %s ORDER BY seq",
                                               (subject_prefix + "%",))]


def test_two_signers_reach_the_threshold_and_publish(publishers, database_url: str) -> None:  # type: ignore[no-untyped-def]
    pia, pete = publishers
    raw = document()
    pending_id = uploaded(pia, raw)
    page = pia.get(f"/staff/publish/{pending_id}?notice=uploaded")
    shown = text_of(page)
    assert statement(parse_document(raw)) in shown  # the exact statement, trailing comment and all
    assert "Signed by 0 of the 2 required signers" in shown and not publish_button_enabled(shown)
    assert 'src="/static/js/publish.js' in page.text or "js/publish." in page.text

    # Refused, as add-signature refuses: a key outside the root, a slip, a malformed signature.
    outsider = add(pia, pending_id, signed(raw, OUTSIDER))
    assert outsider.status_code == 422 and f"recovers to {OUTSIDER.address}" in text_of(outsider)
    slipped = add(pia, pending_id, sign_statement(statement(parse_document(raw)) + "\n", A.key))
    assert slipped.status_code == 422 and "a trailing newline after the statement" in text_of(slipped)
    malformed = add(pia, pending_id, "0x1234")
    assert malformed.status_code == 400 and "65 bytes" in text_of(malformed)

    assert add(pia, pending_id, signed(raw, A)).status_code == 303
    shown = text_of(pia.get(f"/staff/publish/{pending_id}"))
    assert "Signed by 1 of the 2" in shown and "1 more signature is needed" in shown
    assert not publish_button_enabled(shown)
    again = add(pete, pending_id, signed(raw, A))
    assert again.status_code == 409 and f"{A.address} has already signed" in text_of(again)
    early = publish(pia, pending_id)
    assert early.status_code == 422 and "signed by 1 of 2" in text_of(early)

    assert add(pete, pending_id, signed(raw, B)).status_code == 303
    shown = text_of(pia.get(f"/staff/publish/{pending_id}"))
    assert "Signed by 2 of the 2" in shown and "Ready to publish" in shown and publish_button_enabled(shown)
    assert "Yes, added by pia" in shown and "Yes, added by pete" in shown and "publish.js" not in shown
    done = publish(pia, pending_id)
    assert done.status_code == 303 and done.headers["location"].endswith("notice=published")

    served = pia.get("/v1/policies/official").json()
    assert served["sha256"] == parse_document(raw).sha256 and served["document"].encode() == raw
    signatures = [Signature(s["signer"], s["signature"]) for s in served["signatures"]]
    trust = parse_root(Path(pia.app.state.runtime.settings.policy_root).read_bytes())  # type: ignore[arg-type]
    verified = verify_policy(parse_document(raw), signatures, trust, previous=None, now=NOW)
    assert sorted(verified.signers) == sorted([A.address, B.address])
    closed = add(pete, pending_id, signed(raw, B))
    assert closed.status_code == 409 and "was published by key:pia" in text_of(closed)
    assert audit_actions(database_url, f"pending:{pending_id}") == [
        "pending:document:uploaded", "pending:document:signed", "pending:document:signed"]
    assert audit_actions(database_url, "policy:official") == ["policy:version:published"]


def test_files_go_on_by_the_command_line_and_signatures_come_from_it(publishers, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    pia, pete = publishers
    raw = document(newline="\r\n")  # CRLF: the exact bytes, not a browser's re-encoding of them
    made_elsewhere = encode_signature_file([Signature(A.address, signed(raw, A))])
    pending_id = uploaded(pia, raw, signatures=made_elsewhere)
    shown = text_of(pia.get(f"/staff/publish/{pending_id}"))
    assert "Signed by 1 of the 2" in shown and parse_document(raw).sha256 in shown
    assert upload(pete, raw).status_code == 409  # the same bytes are pending once

    doc = tmp_path / "official-v1.md"
    doc.write_bytes(pia.get(f"/staff/publish/{pending_id}/official-v1.md").content)
    sig = pia.get(f"/staff/publish/{pending_id}/official-v1.md.sig.json")
    assert doc.read_bytes() == raw and "attachment" in sig.headers["content-disposition"]
    (tmp_path / "official-v1.md.sig.json").write_bytes(sig.content)
    (tmp_path / "root.toml").write_bytes(Path(pia.app.state.runtime.settings.policy_root).read_bytes())  # type: ignore[arg-type]
    assert main(["policy", "add-signature", str(doc), "--signature", signed(raw, B)]) == 0
    capsys.readouterr()
    assert len(decode_signature_file((tmp_path / "official-v1.md.sig.json").read_bytes()).signatures) == 2
    assert main(["policy", "verify", str(doc), "--root", str(tmp_path / "root.toml"), "--now", NOW.isoformat()]) == 0
    assert pia.get(f"/staff/publish/{pending_id}/other.md").status_code == 400

    # A signature file whose listed signer is not who signed is refused whole.
    lying = encode_signature_file([Signature(B.address, signed(document(1, "", "\n"), A))])
    refused = upload(pete, document(), signatures=lying)
    assert refused.status_code == 422 and f"listed for {B.address} was made by {A.address}" in text_of(refused)


def test_who_may_publish_and_what_is_refused(client: TestClient, publishers, database_url: str) -> None:  # type: ignore[no-untyped-def]
    pia, _ = publishers
    reviewer = Seat(client, database_url, "rita", "reviewer")
    assert reviewer.signed_in.headers["location"] == "/staff/queue"
    refused = reviewer.get("/staff/publish")
    assert refused.status_code == 403 and "Publishing is for publishers" in text_of(refused)
    queue = pia.get("/staff/queue")  # not a publisher's page: its way back leads home, not here again
    assert queue.status_code == 403 and 'href="/staff/queue"' not in queue.text and 'href="/staff/home"' in queue.text
    home = pia.get("/staff", follow_redirects=False)
    assert home.status_code in (302, 303, 307) and home.headers["location"] == "/staff/publish"
    assert "/staff/publish" not in reviewer.get("/staff/queue").text  # no Publish link for a reviewer
    nav = pia.get("/staff/publish").text
    assert 'href="/staff/publish"' in nav and 'href="/staff/queue"' not in nav
    bad = upload(pia, b"not a policy")
    assert bad.status_code == 422 and "front matter" in text_of(bad)
    assert upload(pia, b"").status_code == 400
    stray = upload(pia, document(), entries=b"[]")
    assert stray.status_code == 400 and "only a release has an entries file" in text_of(stray)
    no_token = pia.post("/staff/publish", files={"document": ("official.md", document(), "text/markdown")})
    assert no_token.status_code == 403 and no_token.json()["code"] == "csrf_failed"
    missing = pia.get("/staff/publish/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    pending_id = uploaded(pia, document())
    page = pia.get(f"/staff/publish/{pending_id}")
    withdrawn = pia.post(f"/staff/publish/{pending_id}/withdraw", data={"_csrf_token": csrf_of(page)},
                         follow_redirects=False)
    assert withdrawn.status_code == 303
    shown = text_of(pia.get(f"/staff/publish/{pending_id}"))
    assert "Withdrawn by pia" in shown and "publish.js" not in shown
    assert audit_actions(database_url, f"pending:{pending_id}")[-1] == "pending:document:withdrawn"
    again = uploaded(pia, document())  # withdrawn bytes may be uploaded again
    assert again != pending_id


def test_a_release_is_signed_and_published_in_the_console(publishers, settings: Settings, database_url: str,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    pia, pete = publishers
    snapshot_id = next(m["id"] for m in pia.get("/v1/snapshots").json() if m["chain"] == "evm")
    seeded = seed_requests(database_url, 2, snapshot_id=snapshot_id, chain="evm")
    admin = bearer(create_key(database_url, "ada", "admin"))
    while (claimed := pia.post("/v1/review/claim", headers=admin)).status_code == 200:
        decided = pia.post(f"/v1/review/requests/{claimed.json()['request_id']}/decision", headers=admin,
                           json={"decision": "approve"})
        assert decided.status_code == 200, decided.text
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(settings.snapshots))
    monkeypatch.delenv("PORTAL_DESTINATIONS_FILE", raising=False)
    doc = tmp_path / "release-evm-1.md"
    assert main(["release", "prepare", "--destination-chain", "evm", "--out", str(doc)]) == 0
    assert main(["release", "distributor", str(doc), DISTRIBUTOR]) == 0
    capsys.readouterr()
    raw, entries = doc.read_bytes(), (tmp_path / "release-evm-1.entries.json").read_bytes()

    assert upload(pia, raw).status_code == 400  # a release without its entries
    tampered = upload(pia, raw, entries=entries.replace(b'"amount":"', b'"amount":"1', 1))
    assert tampered.status_code == 422 and "not the ones signed" in text_of(tampered)
    pending_id = uploaded(pia, raw, entries=entries)
    line = release_statement(parse_release(raw))
    shown = text_of(pia.get(f"/staff/publish/{pending_id}"))
    assert line in shown and "Release evm 1" in shown
    assert add(pia, pending_id, sign_statement(line, A.key)).status_code == 303
    assert add(pete, pending_id, sign_statement(line, B.key)).status_code == 303
    assert publish_button_enabled(text_of(pia.get(f"/staff/publish/{pending_id}")))
    assert pia.get(f"/staff/publish/{pending_id}/release-evm-1.entries.json").content == entries
    assert publish(pete, pending_id).status_code == 303
    served = pia.get("/v1/releases/evm/1").json()
    assert {c["destination"] for c in served["claims"]} == {s.destination for s in seeded}
    assert pia.get("/releases/evm/1.md").content == raw
    assert "See it as holders see it" in pia.get(f"/staff/publish/{pending_id}").text
    sig_file = json.loads(pia.get(f"/staff/publish/{pending_id}/release-evm-1.md.sig.json").content)
    assert {s["signer"] for s in sig_file["signatures"]} == {A.address, B.address}


def test_two_publishes_at_once_publish_once(database_url: str, root_path: Path) -> None:
    """Two publishers press Publish together: the row lock lets one through; the other is told it is
    already published, and nothing is published twice."""
    from portal.domain import pending, releases
    from portal.domain.eligibility import SnapshotSet
    from portal.domain.policy_roots import load_anchor
    from portal.errors import ConflictError
    from portal.store.database import Database
    from tests.integration.staff_helpers import audit_chain_key

    raw = document()
    anchor = load_anchor(str(root_path))

    async def race() -> list[object]:
        db = await Database.open(database_url, size=3, audit_chain_key=audit_chain_key())
        try:
            async with db.transaction() as conn:
                pending_id = await pending.upload(conn, pending.Upload(
                    raw, None, [Signature(a.address, signed(raw, a)) for a in (A, B)], pending.Staffer("key:pia")),
                    anchor, NOW)

            async def press(name: str) -> object:
                async with db.transaction() as conn:
                    return await pending.publish(conn, pending_id, pending.Staffer(f"key:{name}"), anchor,
                                                 releases.Target(SnapshotSet.open([])), NOW)

            return await asyncio.gather(press("pia"), press("pete"), return_exceptions=True)
        finally:
            await db.close()

    outcomes = asyncio.run(race())
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "str"], outcomes
    refused = next(o for o in outcomes if isinstance(o, ConflictError))
    assert refused.code == "already_published"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM policy_versions").fetchone() == (1,)
        assert conn.execute("SELECT outcome FROM pending_documents").fetchall() == [("published",)]
