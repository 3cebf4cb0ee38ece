"""Cases through the HTTP API against a real database, with real signatures: open, thread, staff, outcomes."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.cases import STAFF_ONLY_HERE
from portal.settings import Settings
from tests.integration.case_helpers import (
    DESTINATION,
    EXCLUDED,
    LISTED,
    UNLISTED,
    bearer,
    case_challenge,
    open_case,
    sign,
    solana_demo_key,
)
from tests.integration.staff_helpers import ManualClock, create_key


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(app=create_app(msgspec.structs.replace(settings, four_eyes_amount=str(10**22)),
                                   clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def staff(database_url: str) -> dict[str, dict[str, str]]:
    return {name: bearer(create_key(database_url, name, role)) for name, role in
            (("rita", "reviewer"), ("ann", "approver"), ("bob", "approver"))}


def test_a_holder_not_in_the_snapshot_opens_a_case_talks_with_staff_and_gets_a_correction(
        client: TestClient, staff: dict, database_url: str) -> None:
    refused = client.post("/v1/challenges", json={"address": EXCLUDED.address, "destination": DESTINATION,
                                                  "method": "eip191"})
    assert refused.status_code == 422 and refused.json()["code"] == "not_eligible"  # allowlist: unchanged

    opened = open_case(client, EXCLUDED, "not_in_snapshot", "I bought on the exchange and withdrew before.",
                       evidence=["0x" + "ab" * 32])
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["kind"] == "not_in_snapshot" and case["status"] == "open" and len(case["status_token"]) >= 40
    holder = bearer(case["status_token"])
    view = client.get(f"/v1/cases/{case['case_id']}", headers=holder).json()
    assert view["address"] == EXCLUDED.address and view["notice"] == STAFF_ONLY_HERE
    assert [(m["author"], m["text"]) for m in view["messages"]] == [
        ("holder", "I bought on the exchange and withdrew before.")]

    queue = client.get("/v1/review/cases", params={"kind": "not_in_snapshot"}, headers=staff["rita"]).json()
    assert [row["case_id"] for row in queue["cases"]] == [case["case_id"]]
    detail = client.get(f"/v1/review/cases/{case['case_id']}", headers=staff["rita"]).json()
    assert detail["evidence"]["excluded"] == {"category": "exchange", "note": "DEMO exchange hot wallet; the "
                                              "exchange migrates for its customers"}
    assert detail["evidence"]["transactions"] == ["0x" + "ab" * 32] and detail["snapshot_amount"] is None
    assert detail["recovered_signer"] == EXCLUDED.address

    path = f"/v1/review/cases/{case['case_id']}"
    early = client.post(f"{path}/messages", json={"text": "hello"}, headers=staff["rita"])
    assert early.status_code == 409 and early.json()["code"] == "lease_not_held"
    assert client.post(f"{path}/claim", headers=staff["rita"]).status_code == 200
    assert client.post(f"{path}/claim", headers=staff["ann"]).json()["code"] == "lease_held"
    assert client.post(f"{path}/messages", json={"text": "Which exchange was it?"},
                       headers=staff["rita"]).status_code == 200
    answer = client.post(f"/v1/cases/{case['case_id']}/messages", json={"text": "The DEMO exchange."}, headers=holder)
    assert answer.status_code == 200
    assert [(m["author"], m["text"]) for m in answer.json()["messages"]][1:] == [
        ("staff", "Which exchange was it?"), ("holder", "The DEMO exchange.")]
    assert "rita" not in answer.text  # the holder sees "staff", never who

    upheld = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "Withdrawn before the snapshot.",
                                                  "amount": "5000"}, headers=staff["rita"])
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "closed" and upheld.json()["corrected_amount"] == "5000"
    final = client.get(f"/v1/cases/{case['case_id']}", headers=holder).json()
    assert final["status"] == "closed" and final["outcome"] == "upheld"
    assert final["reason"] == "Withdrawn before the snapshot."
    assert final["correction"] == {"amount": "5000", "destination": DESTINATION, "destination_chain": "evm",
                                   "release": None}
    closed = client.post(f"/v1/cases/{case['case_id']}/messages", json={"text": "thanks"}, headers=holder)
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"

    [correction] = client.get("/v1/corrections").json()
    assert correction == {"address": EXCLUDED.address, "amount": "5000", "category": "exchange",
                          "kind": "not_in_snapshot", "case_id": case["case_id"],
                          "decided_at": correction["decided_at"], "release": None}
    with psycopg.connect(database_url) as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_events WHERE subject = %s ORDER BY seq",
                                                  (f"case:{case['case_id']}",))]
    assert actions == ["case:proof:accepted", "review:case:claimed", "review:case:message", "case:message:holder",
                       "review:case:decided"]


def test_amount_wrong_is_rejected_with_a_reason_the_holder_reads(client: TestClient, staff: dict) -> None:
    wrong_kind = open_case(client, LISTED, "not_in_snapshot")
    assert wrong_kind.status_code == 422 and wrong_kind.json()["code"] == "kind_not_applicable"
    case = open_case(client, LISTED, "amount_wrong", "I held more: 1500 tokens.").json()
    path = f"/v1/review/cases/{case['case_id']}"
    client.post(f"{path}/claim", headers=staff["rita"])
    smaller = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "r", "amount": "1"},
                          headers=staff["rita"])
    assert smaller.status_code == 400 and smaller.json()["field"] == "amount"
    no_reason = client.post(f"{path}/decision", json={"outcome": "rejected", "reason": "  "}, headers=staff["rita"])
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    rejected = client.post(f"{path}/decision", json={"outcome": "rejected",
                                                     "reason": "balanceOf at the snapshot block was 1000 tokens."},
                           headers=staff["rita"])
    assert rejected.status_code == 200
    view = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(case["status_token"])).json()
    assert (view["outcome"], view["reason"], view["correction"]) == (
        "rejected", "balanceOf at the snapshot block was 1000 tokens.", None)
    assert client.get("/v1/corrections").json() == []
    again = open_case(client, LISTED, "amount_wrong")  # closed: a new case of the same kind may be opened
    assert again.status_code == 201 and again.json()["case_id"] != case["case_id"]


def test_a_question_is_answered_and_only_a_question_is(client: TestClient, staff: dict) -> None:
    case = open_case(client, UNLISTED, "question", "Is portal.example.org the real site?").json()
    other = open_case(client, UNLISTED, "not_in_snapshot").json()
    for opened in (case, other):
        client.post(f"/v1/review/cases/{opened['case_id']}/claim", headers=staff["rita"])
    not_a_question = client.post(f"/v1/review/cases/{other['case_id']}/decision",
                                 json={"outcome": "answered", "reason": "x"}, headers=staff["rita"])
    assert not_a_question.status_code == 400 and not_a_question.json()["field"] == "outcome"
    upheld_question = client.post(f"/v1/review/cases/{case['case_id']}/decision",
                                  json={"outcome": "upheld", "reason": "x", "amount": "5"}, headers=staff["rita"])
    assert upheld_question.status_code == 400
    answered = client.post(f"/v1/review/cases/{case['case_id']}/decision",
                           json={"outcome": "answered", "reason": "Yes: it is the domain in the signed policy."},
                           headers=staff["rita"])
    assert answered.status_code == 200 and answered.json()["outcome"] == "answered"


def test_one_open_case_per_address_and_kind(client: TestClient) -> None:
    first = open_case(client, UNLISTED, "question")
    second = open_case(client, UNLISTED, "question", "Another question.")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["case_id"] == first.json()["case_id"] and second.json()["status_token"] is None
    assert open_case(client, UNLISTED, "not_in_snapshot").status_code == 201  # another kind


def test_a_solana_holder_opens_a_case_with_an_ed25519_signature(client: TestClient) -> None:
    key = solana_demo_key(7)  # the demo's excluded pool vault
    from snapshot.addresses import b58encode

    address = b58encode(bytes(key.verify_key))
    challenge = case_challenge(client, address, method="solana")
    signature = b58encode(key.sign(challenge["message"].encode()).signature)
    opened = client.post("/v1/cases", json={"challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot",
                                            "text": "My vault.", "signature": signature})
    assert opened.status_code == 201, opened.text


def test_challenges_and_proofs_keep_their_purposes(client: TestClient) -> None:
    case_purpose = case_challenge(client, LISTED.address)
    filed = client.post("/v1/proofs", json={"challenge_id": case_purpose["challenge_id"],
                                            "signature": sign(LISTED, case_purpose["message"])})
    assert filed.status_code == 400 and filed.json()["field"] == "challenge_id"
    allowlist = client.post("/v1/challenges", json={"address": LISTED.address, "destination": DESTINATION,
                                                    "method": "eip191"}).json()
    refused = client.post("/v1/cases", json={"challenge_id": allowlist["challenge_id"], "kind": "question",
                                             "text": "x", "signature": sign(LISTED, allowlist["message"])})
    assert refused.status_code == 400 and refused.json()["field"] == "challenge_id"
    forged = case_challenge(client, UNLISTED.address)
    mismatch = client.post("/v1/cases", json={"challenge_id": forged["challenge_id"], "kind": "question",
                                              "text": "x", "signature": sign(LISTED, forged["message"])})
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "signature_mismatch"
    bad = client.post("/v1/challenges", json={"address": "0xnotanaddress", "destination": DESTINATION,
                                              "method": "eip191", "purpose": "case"})
    assert bad.status_code == 400 and bad.json()["field"] == "address"


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "a\x00b"}, "text"),
    ({"text": "x" * 4001}, "text"),
    ({"text": ""}, "text"),
    ({"evidence": ["not a hash"]}, "evidence"),
    ({"evidence": ["0x" + "ab" * 32] * 11}, "evidence"),
    ({"kind": "allowlist"}, "kind"),
])
def test_hostile_holder_input_is_a_400_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    challenge = case_challenge(client, UNLISTED.address)
    sent = {"challenge_id": challenge["challenge_id"], "kind": "question", "text": "ok",
            "signature": sign(UNLISTED, challenge["message"]), **body}
    response = client.post("/v1/cases", json=sent)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in (response.json().get("field") or response.text)


def test_markup_in_holder_text_is_kept_as_text_and_escaped_on_pages(client: TestClient) -> None:
    case = open_case(client, UNLISTED, "question", "<script>alert(1)</script>").json()
    view = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(case["status_token"])).json()
    assert view["messages"][0]["text"] == "<script>alert(1)</script>"
    page = client.post(f"/cases/{case['case_id']}", data={"status_token": case["status_token"]})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_one_holder_never_sees_another_holders_case(client: TestClient, staff: dict) -> None:
    mine = open_case(client, UNLISTED, "question").json()
    theirs = open_case(client, LISTED, "question").json()
    for headers in (bearer(mine["status_token"]), {}, bearer("x" * 43), staff["rita"]):
        response = client.get(f"/v1/cases/{theirs['case_id']}", headers=headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/v1/cases/not-a-uuid", headers=bearer(theirs["status_token"])).status_code == 404
    posted = client.post(f"/v1/cases/{theirs['case_id']}/messages", json={"text": "x"},
                         headers=bearer(mine["status_token"]))
    assert posted.status_code == 404
    holder = bearer(mine["status_token"])
    assert client.get("/v1/review/cases", headers=holder).status_code == 401


def test_four_eyes_on_a_large_correction(client: TestClient, staff: dict, clock: ManualClock) -> None:
    case = open_case(client, EXCLUDED, "not_in_snapshot").json()
    path = f"/v1/review/cases/{case['case_id']}"
    big = str(10**23)
    client.post(f"{path}/claim", headers=staff["rita"])
    refused = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "r", "amount": big},
                          headers=staff["rita"])
    assert refused.status_code == 403
    assert client.post(f"{path}/claim", headers=staff["ann"]).status_code == 409  # rita's lease is live
    clock.advance(3600)  # it expires
    assert client.post(f"{path}/claim", headers=staff["ann"]).status_code == 200
    first = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "r", "amount": big},
                        headers=staff["ann"])
    assert first.json()["status"] == "awaiting_second_approval" and first.json()["first_approver"] == "key:ann"
    assert client.get("/v1/corrections").json() == []
    assert client.post(f"{path}/claim", headers=staff["ann"]).status_code == 403
    assert client.post(f"{path}/claim", headers=staff["rita"]).status_code == 403
    assert client.post(f"{path}/claim", headers=staff["bob"]).status_code == 200
    for other in (big + "0", "5"):  # more, or less and below the threshold: the two approvers must agree
        differs = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "r", "amount": other},
                              headers=staff["bob"])
        assert differs.status_code == 409 and differs.json()["code"] == "amount_differs"
    second = client.post(f"{path}/decision", json={"outcome": "upheld", "reason": "r", "amount": big},
                         headers=staff["bob"])
    assert second.json()["status"] == "closed"
    assert [c["amount"] for c in client.get("/v1/corrections").json()] == [big]


def test_the_queue_pages_by_keyset_and_searches_an_address(client: TestClient, staff: dict,
                                                           clock: ManualClock) -> None:
    opened = []
    for account in (UNLISTED, LISTED, EXCLUDED):
        opened.append(open_case(client, account, "question").json()["case_id"])
        clock.advance(1)
    first = client.get("/v1/review/cases", params={"limit": 2}, headers=staff["rita"]).json()
    second = client.get("/v1/review/cases", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=staff["rita"]).json()
    assert [row["case_id"] for row in first["cases"] + second["cases"]] == opened and second["next_cursor"] is None
    found = client.get("/v1/review/cases", params={"address": LISTED.address.lower()}, headers=staff["rita"]).json()
    assert [row["case_id"] for row in found["cases"]] == [opened[1]]
    bad = client.get("/v1/review/cases", params={"cursor": base64.urlsafe_b64encode(b"nope").decode()},
                     headers=staff["rita"])
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"
    assert client.get("/v1/review/cases", params={"address": "0xzz"}, headers=staff["rita"]).status_code == 400


def test_opening_cases_is_rate_limited_per_client(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=2, rate_limit_backend="memory")
    with TestClient(app=create_app(limited)) as client:
        answers = [client.post("/v1/cases", json={}).status_code for _ in range(3)]
    assert answers == [400, 400, 429]


def test_no_status_token_reaches_a_log_or_the_audit_log(client: TestClient, staff: dict, database_url: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    case = open_case(client, UNLISTED, "question", "Is this the real site?").json()
    token = case["status_token"]
    client.get(f"/v1/cases/{case['case_id']}", headers=bearer(token))
    client.post(f"/v1/cases/{case['case_id']}/messages", json={"text": "Hello?"}, headers=bearer(token))
    client.post(f"/cases/{case['case_id']}", data={"status_token": token})
    client.get(f"/v1/cases/{case['case_id']}", headers=bearer(token + "x"))  # a refused one too
    assert token not in caplog.text
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT string_agg(data::text, ' ') FROM audit_events").fetchone()[0]  # type: ignore[index]
        hashed = conn.execute("SELECT status_token_hash FROM cases").fetchone()[0]  # type: ignore[index]
    assert token not in stored and bytes(hashed) != token.encode()
