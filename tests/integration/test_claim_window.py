"""The claim window of the signed policy: after ``claim_deadline`` a new challenge is a 403 with the
policy's own sentence, or (``late_requests = "review"``) is issued and marked late; requests filed
before the deadline carry on. Real keys, a real signed policy, the real app on a manual clock."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest
from eth_account import Account
from litestar.testing import TestClient

from policy.document import parse_document
from policy.statement import sign_statement, statement
from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, create_key
from tests.integration.test_holder_journey import HOLDERS, challenge, file_request

SIGNER = Account.create()
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
QUEUE_ROW = re.compile(r'<tr>\s*<td[^>]*><a href="/staff/requests/[^"]+">([0-9a-f]{8})</a></td>.*?</tr>', re.S)
NOTICE = "The migration closed on 10 January 2025. Nobody can migrate tokens for you now: ignore anyone who offers."


def policy(version: int, prev: str, late_requests: str) -> str:
    return ('+++\nslug = "official"\n'
            f'version = {version}\ntitle = "Official policy"\neffective = 2025-01-01T00:00:00Z\n'
            f'expires = 2027-01-01T00:00:00Z\nprev = "{prev}"\nclaim_deadline = 2025-01-10T00:00:00Z\n'
            f'late_requests = "{late_requests}"\nlate_notice = "{NOTICE}"\n'
            '[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n+++\nThe window is 9 days.\n')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # 2025-01-02


@pytest.fixture
def client(settings: Settings, clock: ManualClock, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "root.toml"
    root.write_text(f'version = 1\nthreshold = 1\nexpires = 2027-12-31T00:00:00Z\nsigners = ["{SIGNER.address}"]\n')
    app = create_app(msgspec.structs.replace(settings, policy_root=str(root), banner_ttl_seconds=0.05), clock=clock)
    # On the public origin, so the console's Secure cookies and its same-origin check work too.
    with TestClient(app=app, base_url="https://portal.example.org") as test_client:
        test_client.headers["Origin"] = "https://portal.example.org"
        yield test_client


def publish(client: TestClient, database_url: str, text: str) -> None:
    token = create_key(database_url, f"pub-{parse_document(text.encode()).version}", "publisher")
    signature = sign_statement(statement(parse_document(text.encode())), SIGNER.key)
    response = client.post("/v1/policies", headers={"Authorization": f"Bearer {token}"},
                           json={"document": text, "signatures": [{"signer": SIGNER.address, "signature": signature}]})
    assert response.status_code == 201, response.text


def wait_for_banner(client: TestClient, text: str) -> None:
    """Every page's banner says it (the banner is re-read from the policy every few seconds)."""
    deadline = time.monotonic() + 15
    while text not in html.unescape(client.get("/").text):
        assert time.monotonic() < deadline, f"the banner never said {text!r}"
        time.sleep(0.2)


def test_after_the_deadline_new_requests_are_refused_or_marked_late(client: TestClient, clock: ManualClock,
                                                                    database_url: str) -> None:
    first = policy(1, "", "closed")
    publish(client, database_url, first)
    filed = file_request(client)  # before the deadline
    wait_for_banner(client, "Claim deadline:</strong> 00:00 UTC on 10 January 2025 (8 days left)")
    clock.advance(dt.timedelta(days=9).total_seconds())  # 2025-01-11
    refused = challenge(client, HOLDERS[1].address)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "claim_window_closed" and refused.json()["detail"] == NOTICE
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM challenges").fetchone()[0] == 1  # type: ignore[index]
    wait_for_banner(client, f"The claim window has closed.</strong> {NOTICE}")
    # The pages that lead to a challenge say the policy's sentence instead of a form that could only fail.
    start = client.get("/prove", params={"address": HOLDERS[1].address})
    posted = client.post("/prove/challenge", data={"address": HOLDERS[1].address, "chain": "evm", "wallet": "tangem",
                                                   "destination": HOLDERS[2].address})
    for page in (start, posted, client.post("/prove", data={"address": HOLDERS[1].address})):
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        text = html.unescape(page.text)
        assert "<h1>The claim window has closed</h1>" in text and text.count(NOTICE) == 2  # banner and page
        assert "<form" not in text.split("<main", 1)[1]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM challenges").fetchone()[0] == 1  # type: ignore[index]
    # The request filed in time carries on.
    view = client.get(f"/v1/requests/{filed['request_id']}",
                      headers={"Authorization": f"Bearer {filed['status_token']}"})
    assert view.status_code == 200 and view.json()["status"] == "pending_review"

    publish(client, database_url, policy(2, parse_document(first.encode()).sha256, "review"))
    wait_for_banner(client, "A request sent now is still reviewed, as a late request.")
    question = html.unescape(client.get("/prove", params={"address": HOLDERS[1].address}).text)
    assert "<form" in question and "reviewed, as a late request" in question  # the flow goes on, and says so
    late = file_request(client, HOLDERS[1])
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT r.id, c.late FROM requests r JOIN challenges c ON c.id = r.challenge_id "
                            "ORDER BY r.created_at").fetchall()
    assert [(str(r[0]), r[1]) for r in rows] == [(filed["request_id"], False), (late["request_id"], True)]

    # Staff see the late one marked, in the queue and on its evidence page; the one filed in time is not.
    key = create_key(database_url, "rita", "reviewer")
    token = CSRF_FIELD.search(client.get("/staff").text).group(1)  # type: ignore[union-attr]
    assert client.post("/staff/sign-in", data={"api_key": key, "_csrf_token": token},
                       follow_redirects=False).status_code == 303
    queue = client.get("/staff/queue").text
    rows_html = {m.group(1): m.group(0) for m in QUEUE_ROW.finditer(queue)}
    assert 'class="tag">late<' in rows_html[late["request_id"][:8]]
    assert 'class="tag">late<' not in rows_html[filed["request_id"][:8]]
    assert 'class="tag">late<' in client.get(f"/staff/requests/{late['request_id']}").text
    assert "Late: filed after the claim deadline" in client.get(f"/staff/requests/{late['request_id']}").text
    assert 'class="tag">late<' not in client.get(f"/staff/requests/{filed['request_id']}").text


def test_a_policy_without_a_deadline_changes_nothing(client: TestClient, clock: ManualClock,
                                                     database_url: str) -> None:
    clock.advance(dt.timedelta(days=400).total_seconds())
    assert challenge(client, HOLDERS[0].address).status_code == 201


def test_a_deadline_without_a_timezone_is_refused() -> None:
    from policy.errors import PolicyDocumentError

    with pytest.raises(PolicyDocumentError, match="claim_deadline"):
        parse_document(policy(1, "", "closed").replace("2025-01-10T00:00:00Z", "2025-01-10T00:00:00").encode())
    with pytest.raises(PolicyDocumentError, match="late_requests"):
        parse_document(policy(1, "", "sometimes").encode())
