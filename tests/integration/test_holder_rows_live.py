"""The holder page's rows kept in memory follow the database (migration 0018's triggers, ``holder_rows``).

A change made by anyone (here: another connection, standing in for another replica, a worker or psql)
reaches the page at once; the triggers say which request changed, or that everything may have; with the
LISTEN connection gone, pages are read from the database until it is back."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import psycopg
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings
from portal.store import holder_rows
from portal.store import requests as requests_store
from portal.store.database import Database
from tests.integration.staff_helpers import ManualClock, seed_requests
from tests.integration.test_status_page_kept import _file


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _notes(conn: psycopg.Connection) -> list[str]:
    return [note.payload for note in conn.notifies(timeout=0.5) if note.channel == holder_rows.CHANNEL]


def test_the_triggers_name_the_request_or_everything(settings: Settings, database_url: str) -> None:
    with TestClient(app=create_app(settings, clock=ManualClock())) as client:
        first, _ = _file(client)
    with psycopg.connect(database_url, autocommit=True) as listener, \
            psycopg.connect(database_url, autocommit=True) as writer:
        listener.execute(f"LISTEN {holder_rows.CHANNEL}")
        writer.execute("UPDATE requests SET public_note = 'one' WHERE id = %s", (first,))
        assert _notes(listener) == [first]
        writer.execute("UPDATE requests SET public_note = 'none' WHERE false")
        assert _notes(listener) == []                                   # nothing changed: nothing said
        writer.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), 'a card')", (first,))
        assert _notes(listener) == [first]
        with writer.transaction():                                      # only at commit, and not if rolled back
            writer.execute("UPDATE requests SET public_note = 'x' WHERE id = %s", (first,))
            assert _notes(listener) == []
        assert _notes(listener) == [first]
        try:
            with writer.transaction():
                writer.execute("UPDATE requests SET public_note = 'y' WHERE id = %s", (first,))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert _notes(listener) == []
        writer.execute("UPDATE releases SET synced_at = now()")          # no release: no change
        assert _notes(listener) == []


def test_many_requests_changed_at_once_drop_everything(database_url: str) -> None:
    seeded = seed_requests(database_url, 3)
    with psycopg.connect(database_url, autocommit=True) as listener, \
            psycopg.connect(database_url, autocommit=True) as writer:
        listener.execute(f"LISTEN {holder_rows.CHANNEL}")
        writer.execute("UPDATE requests SET public_note = 'all'")
        assert _notes(listener) == [holder_rows.EVERYTHING]              # one notification, not three
        one = str(seeded[0].request_id)
        writer.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), 'a'), (%s, now(), 'b')",
                       (one, one))
        assert _notes(listener) == [one]                                 # two answers, one request: named
        writer.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), 'a'), (%s, now(), 'b')",
                       (one, str(seeded[1].request_id)))
        assert _notes(listener) == [holder_rows.EVERYTHING]
        writer.execute("TRUNCATE request_answers")
        assert _notes(listener) == [holder_rows.EVERYTHING]


def test_a_change_made_elsewhere_reaches_the_kept_page_at_once(settings: Settings, database_url: str) -> None:
    with TestClient(app=create_app(settings, clock=ManualClock())) as client:
        rows = client.app.state.runtime.db.holder_rows
        assert _until(lambda: rows.live)
        request_id, token = _file(client)
        page = client.post(f"/requests/{request_id}", data={"status_token": token})
        assert page.status_code == 200 and "Waiting for review" in page.text
        assert _until(lambda: len(rows) == 1)                          # kept (once our own write came back)
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), %s)",
                          (request_id, "written by another process"))
        assert _until(lambda: "written by another process" in
                      client.post(f"/requests/{request_id}", data={"status_token": token}).text, seconds=3)
        wrong = client.post(f"/requests/{request_id}", data={"status_token": token[:-1] + "x"})
        assert wrong.status_code == 404 and "written by another process" not in wrong.text  # kept, still checked


def test_without_its_listener_the_page_is_read_from_the_database_until_it_is_back(
        settings: Settings, database_url: str) -> None:
    with TestClient(app=create_app(settings, clock=ManualClock())) as client:
        rows = client.app.state.runtime.db.holder_rows
        assert _until(lambda: rows.live)
        request_id, token = _file(client)
        client.post(f"/requests/{request_id}", data={"status_token": token})
        with psycopg.connect(database_url, autocommit=True) as owner:
            killed = owner.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE query = %s AND datname = current_database()",
                                   (f"LISTEN {holder_rows.CHANNEL}",)).fetchall()
            assert killed == [(True,)]
            assert _until(lambda: not rows.live)  # noticed at once: the server closed it (see holder_rows)
            owner.execute("INSERT INTO request_answers (request_id, at, text) VALUES (%s, now(), 'said meanwhile')",
                          (request_id,))
        assert "said meanwhile" in client.post(f"/requests/{request_id}", data={"status_token": token}).text
        assert _until(lambda: rows.live)                                # reconnected within a second or so
        client.post(f"/requests/{request_id}", data={"status_token": token})
        assert _until(lambda: len(rows) == 1)


def test_a_write_of_this_process_holds_back_kept_rows_until_its_marker_is_back(database_url: str) -> None:
    """Deterministic: the LISTEN connection here is the test's, so the test decides when notifications arrive."""
    seeded = seed_requests(database_url, 1)
    request_id = seeded[0].request_id

    async def scenario() -> None:
        db = await Database.open(database_url, size=2)
        listener = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
        try:
            await listener.execute(f"LISTEN {holder_rows.CHANNEL}")
            rows = db.holder_rows = holder_rows.HolderRows(8)
            rows.listening(True)
            before = await requests_store.holder_page_row(db, request_id)
            assert before is not None and rows.get(request_id) == before          # kept
            async with db.transaction() as conn:                                  # a write of this process
                await conn.execute("UPDATE requests SET public_note = 'changed' WHERE id = %s", (request_id,))
            assert rows.get(request_id) is None                                   # not served: marker not back
            now = await requests_store.holder_page_row(db, request_id)
            assert now is not None and "changed" in now                           # read afresh
            payloads = []
            async for note in listener.notifies(timeout=2, stop_after=2):
                payloads.append(note.payload)
                rows.changed(note.payload)
            assert payloads[0] == str(request_id) and payloads[1].startswith(holder_rows.MARKER)
            assert rows.get(request_id) is None                                   # dropped by the change
            assert await requests_store.holder_page_row(db, request_id) == now
            assert rows.get(request_id) == now                                    # and kept again
            with contextlib.suppress(RuntimeError):
                async with db.transaction() as conn:                              # rolled back: no marker due
                    await conn.execute("UPDATE requests SET public_note = 'no' WHERE id = %s", (request_id,))
                    raise RuntimeError("roll back")
            assert rows.get(request_id) == now
        finally:
            await listener.close()
            await db.close()

    asyncio.run(scenario())


def test_a_process_reads_its_own_writes_at_once(settings: Settings, database_url: str) -> None:
    with TestClient(app=create_app(settings, clock=ManualClock())) as client:
        rows = client.app.state.runtime.db.holder_rows
        assert _until(lambda: rows.live)
        request_id, token = _file(client)
        for n in range(20):  # the answer's notification is on its way when the page is asked for
            client.post(f"/requests/{request_id}", data={"status_token": token})
            with psycopg.connect(database_url, autocommit=True) as owner:
                owner.execute("UPDATE requests SET status = 'needs_info', public_note = %s WHERE id = %s",
                              (f"question {n}", request_id))
            assert client.post(f"/v1/requests/{request_id}/answer", headers={"Authorization": f"Bearer {token}"},
                               json={"text": f"answer {n}"}).status_code == 200
            assert f"answer {n}" in client.post(f"/requests/{request_id}", data={"status_token": token}).text
