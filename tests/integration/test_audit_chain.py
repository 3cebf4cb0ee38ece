"""The audit log: appended by staff actions, readable by admins, and tamper-evident.

The trigger refuses UPDATE/DELETE/TRUNCATE; a superuser can still disable it, and then the hash
chain is what finds the edit: ``portal audit verify`` names the first bad ``seq`` and exits 1.
"""

from __future__ import annotations

import argparse
import json

import psycopg
import pytest

from portal.cli import audit as audit_cli
from tests.integration.staff_helpers import create_key, revoke_key


def verify(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str) -> tuple[int, dict]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    # No checkpoints here (this file is about the hash chain): --allow-unanchored, or verify refuses
    # an unanchored chain (issue 24; tests/integration/test_audit_checkpoints.py).
    code = audit_cli.run_verify(argparse.Namespace(allow_unanchored=True))
    return code, json.loads(capsys.readouterr().out)


def test_verify_passes_then_finds_the_edited_row(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(4):
        create_key(database_url, f"key-{index}", "reviewer")
    revoke_key(database_url, "key-1")
    assert verify(monkeypatch, capsys, database_url) == (0, {"ok": True, "events": 5})

    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("""UPDATE audit_events SET data = '{"role": "admin"}' WHERE seq = 3""")
        conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        conn.execute("""UPDATE audit_events SET data = '{"role": "admin"}' WHERE seq = 3""")
        conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
    code, result = verify(monkeypatch, capsys, database_url)
    assert code == 1
    assert result["ok"] is False and result["first_bad_seq"] == 3


def test_verify_finds_a_deleted_row(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(3):
        create_key(database_url, f"key-{index}", "reviewer")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        conn.execute("DELETE FROM audit_events WHERE seq = 2")
        conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
    code, result = verify(monkeypatch, capsys, database_url)
    assert (code, result["first_bad_seq"]) == (1, 3)


def test_audit_route_pages_in_order(client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    admin = create_key(database_url, "ada", "admin")
    for index in range(4):
        create_key(database_url, f"key-{index}", "reviewer")
    headers = {"Authorization": f"Bearer {admin}"}
    first = client.get("/v1/audit", params={"limit": 3}, headers=headers).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3] and first["next_after"] == 3
    rest = client.get("/v1/audit", params={"after": 3, "limit": 3}, headers=headers).json()
    assert [e["seq"] for e in rest["events"]] == [4, 5] and rest["next_after"] is None
    assert rest["events"][0]["prev_hash"] == first["events"][-1]["hash"]
    assert first["events"][0]["actor"] == "test" and first["events"][0]["subject"] == "staff:ada"
