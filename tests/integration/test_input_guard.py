"""Control characters are refused at the edge (issue 10, item 2), and JSON routes take only JSON.

Each case of the issue is here as it was found: ``GET /policy/%00``, ``/policy/%00.md``,
``/policy/official.md%00.html`` and a decision whose ``reason``/``public_note`` holds ``\\u0000``
were 500s (psycopg refuses NUL in text). They are now 400 problem+json naming the field, and the
request never reaches the database: the decision is not recorded and no audit event is written.
"""

from __future__ import annotations

import time

import psycopg
from litestar.testing import TestClient

from tests.integration.staff_helpers import bearer, create_key, seed_requests

DEMO_EVM = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def assert_refused(response, field: str, status: int = 400, code: str = "control_character") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"], body["field"]) == (status, code, field), body


PATH_AND_QUERY_CASES = [
    ("/policy/%00", "page"),
    ("/policy/%00.md", "page"),
    ("/policy/official.md%00.html", "page"),
    ("/v1/policies/%00", "slug"),
    ("/v1/policies/official%01/versions/1", "slug"),
    ("/v1/eligibility/%00", "address"),
    ("/v1/links/check?url=https://a.example/%00", "url"),
    ("/v1/links/check?url=x&extra=%1b%5b31m", "extra"),
    ("/v1/snapshots?%00=1", "query"),
    ("/policy/official%7f", "page"),
    ("/policy/official%C2%85", "page"),  # C1 NEL, UTF-8 encoded
]


def test_control_characters_in_path_and_query_are_400(client: TestClient) -> None:
    # One app and database for all cases (a database per case costs seconds on a loaded machine).
    for path, field in PATH_AND_QUERY_CASES:
        assert_refused(client.get(path), field)


def test_staff_query_parameters_are_guarded_too(client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "ada", "admin")
    assert_refused(client.get("/v1/allowlist", params={"snapshot_id": "demo\x00"}, headers=bearer(token)),
                   "snapshot_id")
    assert_refused(client.get("/v1/review/requests", params={"cursor": "a\nb"}, headers=bearer(token)), "cursor")


def _audit_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]  # type: ignore[index]


DECISION_CASES = [
    ({"decision": "reject", "reason": "bad\u0000signature"}, "reason"),
    ({"decision": "approve", "reason": "ok", "public_note": "welcome\u0000"}, "public_note"),
    ({"decision": "reject", "reason": "tab\tand newline\n are fine; bell \u0007 is not"}, "reason"),
    ({"decision": "reject\u0000", "reason": "x"}, "decision"),
    ({"decision": "reject", "reason": "x", "\u0000": 1}, "\u0000"),
]


def test_decision_text_with_control_characters_is_refused_before_the_database(
        client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "rita", "reviewer")
    seed_requests(database_url, 1)
    claimed = client.post("/v1/review/claim", headers=bearer(token)).json()
    events_before = _audit_count(database_url)
    for body, field in DECISION_CASES:
        response = client.post(f"/v1/review/requests/{claimed['request_id']}/decision", headers=bearer(token),
                               json=body)
        assert_refused(response, field)
    assert _audit_count(database_url) == events_before
    with psycopg.connect(database_url) as conn:
        status = conn.execute("SELECT status FROM requests WHERE id = %s", (claimed["request_id"],)).fetchone()[0]  # type: ignore[index]
    assert status == "pending_review"


def test_multiline_reason_keeps_its_line_breaks(client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "rita", "reviewer")
    seed_requests(database_url, 1)
    claimed = client.post("/v1/review/claim", headers=bearer(token)).json()
    response = client.post(f"/v1/review/requests/{claimed['request_id']}/decision", headers=bearer(token),
                           json={"decision": "reject", "reason": "line one\r\nline two\tindented",
                                 "public_note": "see\nbelow"})
    assert response.status_code == 200, response.text


def test_nested_json_fields_are_named_by_path(client: TestClient) -> None:
    response = client.post("/v1/challenges", json={"address": DEMO_EVM, "destination": "0x" + "11" * 20,
                                                   "method": "eip191", "nested": [{"x": "a\u0000"}]})
    assert_refused(response, "nested[0].x")


def test_json_routes_refuse_other_content_types(client: TestClient) -> None:
    body = b'{"address":"%s","destination":"0x1111111111111111111111111111111111111111","method":"eip191"}' % (
        DEMO_EVM.encode())
    for content_type in ["text/plain", "application/x-www-form-urlencoded", None]:
        headers = {"content-type": content_type} if content_type else {}
        response = client.post("/v1/challenges", content=body, headers=headers)
        assert_refused(response, "content-type", status=415, code="unsupported_media_type")
    accepted = client.post("/v1/challenges", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert accepted.status_code == 201, accepted.text


def test_huge_bodies_still_get_413(client: TestClient) -> None:
    response = client.post("/v1/challenges", content=b"[" * 11_000_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_evm_address_without_0x_is_told_so(client: TestClient) -> None:
    response = client.get("/v1/eligibility/" + DEMO_EVM[2:])
    assert_refused(response, "address", code="invalid_address")
    assert "EVM addresses start with 0x" in response.json()["detail"]
    assert "Solana" not in response.json()["detail"]


def test_illegal_transition_keeps_the_http_status_in_status(client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "rita", "reviewer")
    seed_requests(database_url, 1)
    claimed = client.post("/v1/review/claim", headers=bearer(token)).json()
    url = f"/v1/review/requests/{claimed['request_id']}/decision"
    assert client.post(url, headers=bearer(token), json={"decision": "approve", "reason": "ok"}).status_code == 200
    again = client.post(url, headers=bearer(token), json={"decision": "reject", "reason": "changed my mind"})
    body = again.json()
    assert again.status_code == 409 and body["status"] == 409, body
    assert body["code"] == "illegal_transition" and body["request_status"] == "approved"


def test_control_characters_in_headers_are_400(client: TestClient) -> None:
    assert_refused(client.get("/v1/snapshots", headers={"user-agent": "evil\x01agent"}), "header:user-agent")
    assert client.get("/v1/snapshots", headers={"user-agent": "tab\tis fine"}).status_code == 200


# -- Issue 19: bounded before it is parsed --------------------------------------------------------
def test_the_60_kb_nested_body_is_400_too_deep_and_the_app_keeps_serving(client: TestClient) -> None:
    """The body that killed the server: 30,000 ``[`` and ``]`` to the unauthenticated link scan."""
    body = b"[" * 30_000 + b"]" * 30_000
    smaller = b"[" * 15_000 + b"]" * 15_000   # under the 32 KB every other route takes
    for path, content in [("/v1/links/scan", body), ("/v1/challenges", smaller), ("/v1/proofs", smaller),
                          ("/v1/policies", body)]:
        started = time.perf_counter()
        response = client.post(path, content=content, headers={"content-type": "application/json"})
        assert time.perf_counter() - started < 0.5
        assert_refused(response, "body", code="too_deep")
    nested_object = b'{"text":' * 10_000 + b'"x"' + b"}" * 10_000
    assert_refused(client.post("/v1/links/scan", content=nested_object, headers={"content-type": "application/json"}),
                   "body", code="too_deep")
    assert client.get("/health").status_code == 200


def test_a_long_markdown_text_with_many_brackets_is_still_scanned(client: TestClient) -> None:
    text = "[[official]](https://evil.example/) " * 2000   # 72,000 characters, 4,000 brackets deep in total
    response = client.post("/v1/links/scan", json={"text": text})
    assert response.status_code == 200, response.text


def test_bodies_are_bounded_per_route(client: TestClient) -> None:
    padded = {"address": DEMO_EVM, "destination": "0x" + "11" * 20, "method": "eip191", "pad": "x" * 40_000}
    response = client.post("/v1/challenges", json=padded)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (response.json()["code"], response.json()["field"]) == ("payload_too_large", "body")
    # the link scan documents 100,000 characters of text: that body is larger than the default, and fits
    scanned = client.post("/v1/links/scan", json={"text": "é" * 100_000})
    assert scanned.status_code == 200, scanned.text


def test_queries_are_bounded(client: TestClient) -> None:
    response = client.get("/v1/links/check", params={"url": "https://a.example/" + "a" * 30_000})
    assert_refused(response, "query", status=414, code="query_too_long")
    many = "&".join(f"f{i}=1" for i in range(65))
    assert_refused(client.get(f"/v1/snapshots?{many}"), "query", code="too_many_fields")
    assert client.get("/v1/links/check", params={"url": "https://a.example/" + "a" * 2000}).status_code == 200


def test_headers_are_bounded(client: TestClient) -> None:
    response = client.get("/v1/snapshots", headers={f"x-h{i}": "1" for i in range(120)})
    assert_refused(response, "headers", status=431, code="headers_too_large")
    response = client.get("/v1/snapshots", headers={"x-big": "a" * 40_000})
    assert_refused(response, "headers", status=431, code="headers_too_large")


def test_c1_bytes_in_headers_are_refused(client: TestClient) -> None:
    """The app reads headers as Latin-1 (as HTTP defines them): a 0x85 byte is U+0085, shown to staff."""
    for value in [b"agent\x85", b"agent\x9b[31m", b"agent\x80"]:
        assert_refused(client.get("/v1/snapshots", headers={"user-agent": value}), "header:user-agent")
    assert client.get("/v1/snapshots", headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64)"}).status_code == 200


def test_form_fields_are_bounded(client: TestClient) -> None:
    body = "&".join(f"f{i}=1" for i in range(65))
    response = client.post("/prove/challenge", content=body,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert_refused(response, "body", code="too_many_fields")
