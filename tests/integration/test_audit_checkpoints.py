"""The keyed audit chain and its signed checkpoints (issue 10, item 3): nobody can quietly cut it.

Every tampering case is done as the attacker would, with the append-only trigger bypassed by a
superuser (``SET session_replication_role = replica`` or ``DISABLE TRIGGER``): cut the newest events,
edit one and recompute every later hash (plain sha256, a wrong key, even the right key), delete one
in the middle. ``portal audit verify`` must exit 1 naming the first bad seq each time; the
checkpointer must refuse to sign over a tampered chain.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.cli import main as portal_main
from portal.domain import audit, audit_checkpoints
from portal.domain.audit_keys import AuditKey
from portal.settings import Settings, from_env
from portal.store.audit import GENESIS_HASH, event_hash
from tests.conftest import with_database
from tests.integration.staff_helpers import create_key


class AuditFiles(msgspec.Struct):
    key_file: Path
    checkpoint_file: Path
    key: AuditKey


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[AuditFiles]:
    """A key and a checkpoint file of this test alone, named by the environment (as the CLI reads them)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("PORTAL_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    key = audit.key_for(from_env())
    yield AuditFiles(tmp_path / "audit.key", tmp_path / "checkpoints.jsonl", key)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, str]:
    code = portal_main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def events(database_url: str, count: int) -> None:
    """``count`` audit events dated now (``verify`` holds uncovered events to their age: issue 24)."""
    for _ in range(count):
        create_key(database_url, f"key-{secrets.token_hex(3)}", "reviewer", at=dt.datetime.now(dt.UTC))


def tamper(database_url: str, *statements: str, bypass: str = "replica") -> None:
    """Run ``statements`` as a superuser who gets past the append-only trigger."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        if bypass == "replica":
            conn.execute("SET session_replication_role = replica")
        else:
            conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]
        if bypass != "replica":
            conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")


def rewrite_from(database_url: str, seq: int, chain_key: bytes | None) -> None:
    """Edit event ``seq`` and recompute it and every later hash, as a forger with ``chain_key`` would."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("""UPDATE audit_events SET data = '{"role": "admin"}' WHERE seq = %s""", (seq,))
        rows = conn.execute("SELECT seq, at, actor, action, subject, data, client, hash FROM audit_events "
                            "ORDER BY seq").fetchall()
        prev_hash = GENESIS_HASH
        for row_seq, at, actor, action, subject, data, client, stored_hash in rows:
            if row_seq >= seq:
                new_hash = event_hash(prev_hash, key=chain_key, seq=row_seq, at=at, actor=actor, action=action,
                                      subject=subject, data=data, client=client)
                conn.execute("UPDATE audit_events SET prev_hash = %s, hash = %s WHERE seq = %s",
                             (prev_hash, new_hash, row_seq))
                stored_hash = new_hash
            prev_hash = stored_hash


def checkpoint(capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = cli(capsys, "audit", "checkpoint")
    assert code == 0, err
    return out["checkpoint"]


def test_untouched_chain_verifies_against_its_checkpoint(files: AuditFiles, database_url: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 3)
    made = checkpoint(capsys)
    assert made["seq"] == 3 and made["public_key"] == files.key.public_key
    events(database_url, 2)  # after the checkpoint: still verifies (keyed hashes), and is not yet covered
    code, out, _ = cli(capsys, "audit", "verify")
    assert (code, out) == (0, {"ok": True, "events": 5, "checkpoint": {"seq": 3, "at": made["at"]}})
    assert checkpoint(capsys)["seq"] == 5
    assert cli(capsys, "audit", "checkpoint")[1]["checkpoint"] is None  # nothing new: no line added
    assert len(files.checkpoint_file.read_text().splitlines()) == 2


@pytest.mark.parametrize("bypass", ["replica", "disable_trigger"])
def test_cut_tail_is_caught_by_the_checkpoint(files: AuditFiles, database_url: str,
                                              capsys: pytest.CaptureFixture[str], bypass: str) -> None:
    events(database_url, 5)
    checkpoint(capsys)
    tamper(database_url, "DELETE FROM audit_events WHERE seq >= 4", bypass=bypass)
    code, out, err = cli(capsys, "audit", "verify")
    assert code == 1 and out["ok"] is False and out["first_bad_seq"] == 4, out
    assert "events were cut" in out["reason"] and "seq 4" in err
    # The chain alone still looks whole: it is the checkpoint outside the database that catches the cut.
    empty = files.checkpoint_file.with_name("none.jsonl")
    empty.write_text("")
    assert cli(capsys, "audit", "verify", "--checkpoints", str(empty), "--allow-unanchored")[0] == 0
    assert cli(capsys, "audit", "verify", "--checkpoints", str(empty))[0] == 1   # unless told so: no anchor


@pytest.mark.parametrize("forger_key", ["plain-sha256", "wrong-key"])
def test_edit_with_every_later_hash_recomputed_is_caught(files: AuditFiles, database_url: str,
                                                         capsys: pytest.CaptureFixture[str], forger_key: str) -> None:
    events(database_url, 5)
    rewrite_from(database_url, 2, None if forger_key == "plain-sha256" else secrets.token_bytes(32))
    code, out, _ = cli(capsys, "audit", "verify")
    assert (code, out["first_bad_seq"]) == (1, 2), out
    assert "under the audit key" in out["reason"]
    code, _, err = cli(capsys, "audit", "checkpoint")  # and the checkpointer refuses to bless it
    assert code == 1 and "seq 2" in err
    assert not files.checkpoint_file.exists()


def test_rewrite_with_the_stolen_key_is_caught_by_earlier_checkpoints(
        files: AuditFiles, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 4)
    checkpoint(capsys)
    events(database_url, 2)
    rewrite_from(database_url, 2, files.key.chain_key)
    code, out, _ = cli(capsys, "audit", "verify")
    assert (code, out["first_bad_seq"]) == (1, 4), out
    assert "rewritten" in out["reason"]


def test_deleted_middle_event_is_caught(files: AuditFiles, database_url: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 5)
    checkpoint(capsys)
    tamper(database_url, "DELETE FROM audit_events WHERE seq = 3")
    code, out, _ = cli(capsys, "audit", "verify")
    assert (code, out["first_bad_seq"], out["reason"]) == (1, 4, "expected seq 3")


def test_checkpoint_signed_by_another_key_is_refused(files: AuditFiles, database_url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 3)
    forged = audit_checkpoints.sign_checkpoint(AuditKey.from_secret(secrets.token_bytes(32)), 3, "ab" * 32,
                                               dt.datetime.now(dt.UTC))
    mirror = files.checkpoint_file.with_name("mirror.jsonl")
    audit_checkpoints.append_to_file(mirror, forged)
    code, out, _ = cli(capsys, "audit", "verify", "--checkpoints", str(mirror))
    assert code == 1 and "not signed by the audit key" in out["reason"]
    code, out, _ = cli(capsys, "audit", "verify", "--checkpoints", str(mirror), "--public-key", forged.public_key)
    assert code == 1 and out["first_bad_seq"] == 3  # the forger's key pinned: its head is not the chain's


def test_feed_is_public_and_mirrors_verify(files: AuditFiles, settings: Settings, database_url: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 2)
    first = checkpoint(capsys)
    events(database_url, 1)
    configured = msgspec.structs.replace(settings, audit_key_file=str(files.key_file),
                                         audit_checkpoint_file=str(files.checkpoint_file), audit_checkpoint_seconds=1)
    with TestClient(app=create_app(configured)) as client:
        deadline = time.monotonic() + 10
        while len(files.checkpoint_file.read_text().splitlines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the lifespan's checkpointer signs the new head within a second
        feed = client.get("/v1/audit/checkpoints").json()
        newest = client.get("/v1/audit/checkpoints", params={"limit": 1}).json()
    assert feed["public_key"] == files.key.public_key
    assert [c["seq"] for c in feed["checkpoints"]] == [2, 3] and feed["checkpoints"][0] == first
    assert [c["seq"] for c in newest["checkpoints"]] == [3]
    mirror = files.checkpoint_file.with_name("mirror.json")
    mirror.write_text(json.dumps(feed))  # a saved copy of the feed, as the README's cron line keeps
    files.checkpoint_file.unlink()  # the host lost its file (or the attacker deleted it): the mirror remains
    tamper(database_url, "DELETE FROM audit_events WHERE seq = 3")
    code, out, _ = cli(capsys, "audit", "verify", "--checkpoints", str(mirror))
    assert (code, out["first_bad_seq"]) == (1, 3)


def test_tail_reads_the_newest_lines_across_blocks(tmp_path: Path) -> None:
    key = AuditKey.from_secret(bytes(32))
    path = tmp_path / "many.jsonl"
    at = dt.datetime.now(dt.UTC)
    lines = [audit_checkpoints.sign_checkpoint(key, seq, f"{seq:064x}", at) for seq in range(1, 1201)]
    path.write_bytes(b"".join(msgspec.json.encode(c) + b"\n" for c in lines))
    assert [c.seq for c in audit_checkpoints.tail(path, 3)] == [1198, 1199, 1200]
    assert [c.seq for c in audit_checkpoints.tail(path, 5000)] == list(range(1, 1201))


def test_verify_on_an_unmigrated_database_is_one_line(pg_server_url: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    name = f"portal_empty_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        monkeypatch.setenv("DATABASE_URL", with_database(pg_server_url, name))
        code, out, err = cli(capsys, "audit", "verify")
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    assert (code, out) == (2, {})
    assert "portal: the database has no audit log yet: run `portal db migrate` first" in err.splitlines()
    assert "UndefinedTable" not in err and "psycopg" not in err  # one line, not a traceback


def test_events_hashed_the_old_way_move_to_the_legacy_table(files: AuditFiles, database_url: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Migration 0007's rule, replayed on a database whose chain was written before it."""
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    old_hash = event_hash("0" * 64, key=None, seq=1, at=at, actor="op", action="staff:key:created",
                          subject="staff:old", data={}, client=None)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE audit_events_legacy")
        conn.execute("DELETE FROM schema_migrations WHERE version = 7")
        conn.execute("INSERT INTO audit_events VALUES (1, %s, 'op', 'staff:key:created', 'staff:old', '{}', NULL, "
                     "%s, %s)", (at, "0" * 64, old_hash))
    from portal.store.migrations import migrate

    assert migrate(database_url) == ["0007_audit_keyed"]
    events(database_url, 2)
    code, out, _ = cli(capsys, "audit", "verify", "--allow-unanchored")
    assert (code, out["events"], out["legacy"]) == (0, 2, {"events": 1, "ok": True})


def test_key_file_is_private_and_marked_generated(files: AuditFiles) -> None:
    assert os.stat(files.key_file).st_mode & 0o777 == 0o600
    assert files.key_file.read_text().startswith("# migration-portal audit key, GENERATED")
    assert files.key.public_key not in repr(files.key.chain_key)


def test_verify_namespace_without_options_still_works(files: AuditFiles, database_url: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from portal.cli import audit as audit_cli

    events(database_url, 1)
    assert audit_cli.run_verify(argparse.Namespace()) == 1   # no checkpoint anchors the chain (issue 24)
    assert "no checkpoint anchors the chain" in json.loads(capsys.readouterr().out)["reason"]
    assert audit_cli.run_verify(argparse.Namespace(allow_unanchored=True)) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "events": 1}


# -- issue 24: no gap for cutting the newest events -------------------------------------------------
def wait_for_checkpoint(path: Path, seq: int, timeout: float) -> float:
    """Seconds until ``path`` holds a checkpoint covering ``seq`` (fails after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if path.exists() and any(c.seq >= seq for c in audit_checkpoints.read_file(path)):
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint covering seq {seq} within {timeout} s")


def test_a_tail_cut_two_seconds_after_the_events_is_caught(files: AuditFiles, settings: Settings, database_url: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    configured = msgspec.structs.replace(settings, audit_key_file=str(files.key_file),
                                         audit_checkpoint_file=str(files.checkpoint_file))
    assert configured.audit_checkpoint_seconds == 60   # the timer is not what covers them
    with TestClient(app=create_app(configured)):
        time.sleep(0.3)   # the listener is up
        events(database_url, 3)
        committed = time.monotonic()
        waited = wait_for_checkpoint(files.checkpoint_file, 3, timeout=5)
        assert waited <= 2.0, f"covered after {waited:.2f} s"
        time.sleep(max(0.0, 2.0 - (time.monotonic() - committed)))
        tamper(database_url, "DELETE FROM audit_events WHERE seq >= 2")   # 2 s after the events
        code, out, err = cli(capsys, "audit", "verify")
    assert code == 1 and out["first_bad_seq"] == 2 and "events were cut" in out["reason"], out
    assert "seq 2" in err


def test_events_the_checkpointer_never_covered_fail_verify(files: AuditFiles, database_url: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    events(database_url, 2)
    checkpoint(capsys)
    events(database_url, 2)   # no checkpointer running: these stay uncovered
    assert cli(capsys, "audit", "verify")[0] == 0   # within the bound and the grace: the checkpointer may be late
    time.sleep(0.3)
    code, out, _ = cli(capsys, "audit", "verify", "--grace", "-2")   # now they are older than the bound
    assert code == 1 and out["first_bad_seq"] == 3 and "not covered by a checkpoint" in out["reason"], out


def test_a_fresh_database_needs_allow_unanchored(files: AuditFiles, database_url: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "audit", "verify")
    assert code == 1 and "no checkpoint anchors the chain" in out["reason"]
    code, out, err = cli(capsys, "audit", "verify", "--allow-unanchored")
    assert (code, out) == (0, {"ok": True, "events": 0}) and "a cut tail cannot be seen" in err


def test_a_database_url_gets_a_checkpoint_file_of_its_own(tmp_path: Path) -> None:
    one = Settings(database_url="postgresql://db.internal:5432/portal", data_dir=str(tmp_path))
    other = Settings(database_url="postgresql://db.internal:5432/portal_staging", data_dir=str(tmp_path))
    assert Path(one.audit_checkpoint_path).parent == tmp_path
    assert one.audit_checkpoint_path != other.audit_checkpoint_path
    assert Settings(data_dir=str(tmp_path)).audit_checkpoint_path == str(tmp_path / "audit-checkpoints.jsonl")
