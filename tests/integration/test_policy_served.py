"""A third party verifies the policy from the portal's URL alone, holding one pinned root hash.

A real portal (uvicorn on loopback, real PostgreSQL) publishes v1 under root 1, rotates to root 2
(old and new keys sign), publishes v2 under root 2. ``portal policy verify --url`` then runs in a
separate process knowing only root 1's sha256. A compromised server is played by editing its
database rows directly (a tampered byte, a deleted newest version): each is refused with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal.cli import main
from tests.integration.policy_live import (
    NEW,
    OLD,
    Portal,
    flip_never,
    portal,
    publish_history,
    root_signatures,
    root_text,
    sql,
)

__all__ = ["portal"]  # the fixture


def verify_in_another_process(portal: Portal, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal", "policy", "verify", "--url",
                           f"{portal.base}/policy/official", "--root-sha256", portal.root1_sha256, *extra],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_third_party_verifies_from_the_url_with_one_pinned_hash(portal: Portal, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    v1, v2 = publish_history(portal)
    state = tmp_path / "seen.json"
    done = verify_in_another_process(portal, "--state", str(state))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] and result["version"] == 2 and result["root_version"] == 2 and result["roots_walked"] == [1, 2]
    assert sorted(result["signers"]) == sorted(a.address for a in NEW)
    assert json.loads(state.read_text())["policies"]["official"]["version"] == 2

    # What it read is served at stable places, byte for byte.
    assert portal.get("/policy/official.md") == v2.encode() == portal.get("/policy/official/versions/2.md")
    assert portal.get("/policy/official/versions/1.md") == v1.encode()
    assert json.loads(portal.get("/policy/official.md.sig.json"))["root_version"] == 2
    assert portal.get("/policy/roots/2.toml") == root_text(NEW, 2).encode()
    assert len(json.loads(portal.get("/policy/roots/2.sig.json"))["signatures"]) == 4
    roots = json.loads(portal.get("/v1/policies/roots"))
    assert [r["version"] for r in roots] == [1, 2] and roots[0]["sha256"] == portal.root1_sha256

    # A compromised server flips one byte of the current version: refused, with the reason.
    flip_never(portal, 2)
    assert main(["policy", "verify", "--url", f"{portal.base}/policy/official", "--root-sha256",
                 portal.root1_sha256]) == 1
    assert "below_threshold: signed by 0 of 2" in capsys.readouterr().err


def test_rollback_and_expired_root_are_refused(portal: Portal, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    publish_history(portal)
    state = tmp_path / "seen.json"
    args = ["policy", "verify", "--url", f"{portal.base}/policy/official", "--root-sha256", portal.root1_sha256]
    assert main([*args, "--state", str(state)]) == 0
    assert main([*args, "--now", "2028-07-01T00:00:00Z"]) == 1
    assert "expired: trust root version 2 expired" in capsys.readouterr().err
    sql(portal, "DELETE FROM policy_versions WHERE version = 2")  # the server now shows v1 as current
    assert main([*args, "--state", str(state)]) == 1
    assert "rollback: policy official rolled back: version 1 is served, version 2 was seen before" \
        in capsys.readouterr().err


def test_root_rotations_the_portal_refuses(portal: Portal) -> None:
    root2 = root_text(NEW, 2)
    status, body = portal.post("/v1/policies/roots", {"root": root2, "signatures": root_signatures(root2, NEW)})
    assert status == 422 and body["code"] == "below_threshold" and "by the old root" in body["detail"]
    expired = root_text(NEW, 2, expires="2026-01-01T00:00:00Z")
    status, body = portal.post("/v1/policies/roots", {"root": expired,
                                                       "signatures": root_signatures(expired, OLD + NEW)})
    assert status == 422 and body["code"] == "expired"
    skip = root_text(NEW, 3)
    status, body = portal.post("/v1/policies/roots", {"root": skip, "signatures": root_signatures(skip, OLD + NEW)})
    assert status == 422 and body["code"] == "invalid_root" and body["field"] == "root"
    assert [r["version"] for r in json.loads(portal.get("/v1/policies/roots"))] == [1]
