"""Contract drift found in issue 10 (item 5), each held here beside the schemathesis run.

Schemathesis compares only the media type of a content type, so the doubled ``charset=utf-8`` of
the CSV, Markdown and security.txt answers is checked here, with the document's own claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import yaml
from litestar.testing import TestClient

from portal.app import create_app
from portal.demo.demo_policy import publish_demo_policy
from portal.settings import Settings
from tests.conftest import REPO_ROOT
from tests.integration.staff_helpers import bearer, create_key

DOCUMENT = yaml.safe_load((REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def policy_client(settings: Settings, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    root = publish_demo_policy(database_url, tmp_path, public_url=settings.public_url, now=dt.datetime.now(dt.UTC))
    with TestClient(app=create_app(msgspec.structs.replace(settings, policy_root=str(root)))) as client:
        yield client


def test_text_answers_name_their_charset_once(policy_client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "rita", "reviewer")
    snapshot_id = policy_client.get("/v1/snapshots").json()[0]["id"]
    answers = {
        "/v1/allowlist": policy_client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "format": "csv"},
                                           headers=bearer(token)),
        "/policy/official.md": policy_client.get("/policy/official.md"),
        "/.well-known/security.txt": policy_client.get("/.well-known/security.txt"),
    }
    expected = {"/v1/allowlist": "text/csv; charset=utf-8", "/policy/official.md": "text/markdown; charset=utf-8",
                "/.well-known/security.txt": "text/plain; charset=utf-8"}
    for path, response in answers.items():
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == expected[path], path


def test_the_document_names_what_the_code_sends() -> None:
    paths = DOCUMENT["paths"]
    assert set(paths["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert set(paths["/v1/allowlist"]["get"]["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "text/markdown" in paths["/policy/{page}"]["get"]["responses"]["200"]["content"]
    for path in ("/v1/links/check", "/policy/{page}", "/v1/policies/{slug}"):
        bad_request = paths[path]["get"]["responses"]["400"]["content"]
        assert set(bad_request) == {"application/problem+json"}, path  # not Litestar's own 400 shape
    for path, item in paths.items():
        for method, operation in item.items():
            if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
                assert "415" in operation["responses"], f"{method} {path}"


def test_metrics_answer_prometheus_text(policy_client: TestClient) -> None:
    response = policy_client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text
