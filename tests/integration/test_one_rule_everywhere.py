"""The same rule everywhere (issue 22, item 7): one request id, and problem types under no foreign domain."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.integration.test_holder_proofs import HOLDER, challenge, personal_sign, prove


def test_the_request_id_is_the_one_in_the_signed_text(client: TestClient) -> None:
    body = challenge(client, HOLDER.address)
    assert f"Request ID: {body['challenge_id']}" in body["message"]
    response = prove(client, body["challenge_id"], signature=personal_sign(HOLDER, body["message"]))
    assert response.status_code in (200, 201), response.text
    filed = response.json()
    assert filed["request_id"] == body["challenge_id"]
    view = client.get(f"/v1/requests/{filed['request_id']}",
                      headers={"Authorization": f"Bearer {filed['status_token']}"})
    assert view.status_code == 200 and view.json()["request_id"] == body["challenge_id"], view.text


def test_problem_types_name_no_domain(client: TestClient) -> None:
    answers = [
        client.get("/v1/eligibility/0xnope"),                                           # a PortalError
        client.post("/v1/challenges", json={"address": 1}),                             # validation
        client.get("/v1/no-such-thing"),                                                # HTTP 404
        client.post("/v1/challenges", json={"address": HOLDER.address, "method": "eip191",
                                            "destination": "0x0000000000000000000000000000000000000000"}),
    ]
    for response in answers:
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        assert response.json()["type"] == "about:blank" and response.json()["code"]
