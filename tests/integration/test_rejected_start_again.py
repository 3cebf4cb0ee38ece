"""A rejected request's page says how to start again, and starting again works: the closed request no
longer blocks a new one for the same address. Real app, real database, real keys."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from portal.http.copy.status import NEXT_STEPS
from tests.integration.staff_helpers import bearer, create_key
from tests.integration.test_holder_journey import HOLDERS, challenge, client, clock, file_request, personal_sign

__all__ = ["client", "clock"]  # fixtures


def status_page(client: TestClient, request_id: str, token: str) -> str:
    response = client.post(f"/requests/{request_id}", data={"status_token": token},
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    return response.text


def test_a_rejected_request_links_to_a_new_one_and_a_new_one_can_be_sent(client: TestClient,
                                                                         database_url: str) -> None:
    filed = file_request(client)
    pending = status_page(client, filed["request_id"], filed["status_token"])
    assert 'href="/prove">Start a new request' not in pending  # only once the request is closed
    staff = create_key(database_url, "rita", "reviewer")
    assert client.post("/v1/review/claim", headers=bearer(staff)).json()["request_id"] == filed["request_id"]
    decided = client.post(f"/v1/review/requests/{filed['request_id']}/decision", headers=bearer(staff),
                          json={"decision": "reject", "reason": "not the holder",
                                "public_note": "The signature was made by another wallet."})
    assert decided.status_code == 200, decided.text
    page = status_page(client, filed["request_id"], filed["status_token"])
    assert "Not approved" in page and NEXT_STEPS["rejected"] in page.replace("&#39;", "'")
    assert re.search(r'<a class="button" href="/prove">Start a new request</a>', page)
    assert client.get("/prove").status_code == 200  # the link's page: the first question
    again = challenge(client, HOLDERS[0].address).json()
    created = client.post("/v1/proofs", json={"challenge_id": again["challenge_id"],
                                              "signature": personal_sign(HOLDERS[0], again["message"])})
    assert created.status_code == 201 and created.json()["request_id"] != filed["request_id"]
