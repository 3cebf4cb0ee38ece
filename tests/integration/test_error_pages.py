"""404 and 405 in words for browsers, problem+json for the API and for clients that do not ask for HTML."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/no-such-page", "/policy/no-such-policy", "/staff/no-such-page"])
def test_a_browser_gets_a_404_page_with_ways_on(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    body = answer.text
    assert "<h1>Page not found</h1>" in body
    assert 'href="/"' in body and 'href="/requests"' in body  # ways on, none of them this page
    assert f'href="{path}"' not in body
    assert ('href="/staff"' in body) is path.startswith("/staff")
    assert '"code"' not in body and "not_found" not in body


def test_a_browser_gets_a_405_page_and_the_allow_header(client: TestClient) -> None:
    answer = client.post("/eligibility", headers=BROWSER)
    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith("text/html")
    assert "GET" in answer.headers["allow"]
    assert "<h1>This page cannot be used that way</h1>" in answer.text
    assert 'href="/"' in answer.text


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/json"}, {"Accept": "*/*"},
                                     {"Accept": "text/html;q=0, application/json"}])
def test_other_clients_keep_problem_json(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/no-such-page", headers=headers)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_found"
    assert client.post("/eligibility", headers=headers).json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/v1/no-such-thing", "/v1/requests/00000000-0000-0000-0000-000000000000",
                                  "/v1/policies/no-such-policy"])
def test_the_api_answers_problem_json_even_to_a_browser(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404
    answer = client.delete("/v1/snapshots", headers=BROWSER)
    assert answer.status_code == 405 and answer.headers["content-type"] == "application/problem+json"
