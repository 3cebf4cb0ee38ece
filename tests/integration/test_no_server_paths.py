"""No public answer names a filesystem path of the server (issue 19.7): the snapshot manifests
once carried each artifact's absolute path. Every public GET (JSON, problem details, pages) is
searched for the artifacts' paths, their directories, the working directory and the Python prefix."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings

PUBLIC_GETS = [
    "/v1/snapshots", "/health", "/ready", "/v1/eligibility/0x000000000000000000000000000000000000dEaD",
    "/v1/eligibility/not-an-address", "/v1/nothing-here", "/v1/policies", "/v1/links/rules",
    "/v1/links/check?url=https://evil.io", "/", "/policy", "/.well-known/security.txt",
    "/v1/snapshots/../../etc/passwd", "/v1/allowlist?snapshot_id=x",
]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


def server_paths(settings: Settings) -> set[str]:
    paths = {os.getcwd(), sys.prefix, str(Path(__file__).resolve().parents[2])}
    for artifact in settings.snapshots:
        paths |= {artifact, str(Path(artifact).parent), str(Path(artifact).resolve().parent)}
    return {path for path in paths if len(path) > 1}


def test_snapshot_manifests_name_no_path(client: TestClient) -> None:
    manifests = client.get("/v1/snapshots").json()
    assert manifests and all("path" not in manifest for manifest in manifests)
    assert all(len(manifest["sha256"]) == 64 for manifest in manifests)  # the artifact is named by its hash


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_no_public_answer_names_a_server_path(client: TestClient, settings: Settings, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500, response.text
    leaked = [server_path for server_path in server_paths(settings) if server_path in response.text]
    assert leaked == [], (path, leaked)
