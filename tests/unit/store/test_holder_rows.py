"""The holder page's kept rows (``portal.store.holder_rows.HolderRows``): kept only while listening, never
kept when read before a change was notified, never served while this process's own write is unconfirmed."""

from __future__ import annotations

import uuid

from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from portal.store import holder_rows
from portal.store.holder_rows import HolderRows

A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def _live(capacity: int = 8) -> HolderRows:
    rows = HolderRows(capacity)
    rows.listening(True)
    return rows


def test_nothing_is_kept_before_listening_or_after_the_connection_is_lost() -> None:
    rows = HolderRows(8)
    rows.put(rows.generation, A, ("v1",))
    assert rows.get(A) is None
    rows.listening(True)
    rows.put(rows.generation, A, ("v1",))
    assert rows.get(A) == ("v1",)
    rows.listening(False)
    assert rows.get(A) is None
    rows.put(rows.generation, A, ("v1",))
    assert rows.get(A) is None and len(rows) == 0


def test_a_notification_drops_its_request_or_everything() -> None:
    rows = _live()
    rows.put(rows.generation, A, ("a",))
    rows.put(rows.generation, B, ("b",))
    rows.changed(str(A))
    assert rows.get(A) is None and rows.get(B) == ("b",)
    rows.put(rows.generation, A, ("a2",))
    rows.changed(holder_rows.EVERYTHING)
    assert rows.get(A) is None and rows.get(B) is None
    rows.put(rows.generation, A, ("a3",))
    rows.changed("not a request id")  # not understood: dropped all, to be safe
    assert rows.get(A) is None


def test_a_row_read_before_a_change_was_notified_is_not_kept() -> None:
    rows = _live()
    generation = rows.generation          # the read starts
    rows.changed(str(B))                  # any change is notified meanwhile
    rows.put(generation, A, ("maybe old",))
    assert rows.get(A) is None


def test_capacity_bounds_the_rows_least_recently_read_first() -> None:
    rows = _live(capacity=2)
    c = uuid.UUID(int=3)
    rows.put(rows.generation, A, ("a",))
    rows.put(rows.generation, B, ("b",))
    assert rows.get(A) == ("a",)           # A read: B is now the oldest
    rows.put(rows.generation, c, ("c",))
    assert rows.get(B) is None and rows.get(A) == ("a",) and rows.get(c) == ("c",)
    none = _live(capacity=0)
    none.put(none.generation, A, ("a",))
    assert none.get(A) is None


def test_nothing_kept_is_served_until_this_process_hears_its_own_write() -> None:
    rows = _live()
    rows.put(rows.generation, A, ("a",))
    marker = rows.writing()
    assert marker is not None and rows.get(A) is None        # our commit's notifications are on their way
    rows.changed(marker.replace(marker.split(":")[1], "another-process"))
    assert rows.get(A) is None                               # another process's marker is not ours
    rows.changed(marker)
    assert rows.get(A) == ("a",)
    abandoned = rows.writing()
    assert abandoned is not None and rows.get(A) is None
    rows.abandoned(abandoned)                                # rolled back: nothing will come
    assert rows.get(A) == ("a",)
    assert HolderRows(8).writing() is None                   # not listening: no marker needed


def test_a_marker_that_never_comes_back_drops_everything(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = _live()
    rows.put(rows.generation, A, ("a",))
    now = [1000.0]
    monkeypatch.setattr(holder_rows.time, "monotonic", lambda: now[0])
    rows.writing()
    now[0] += holder_rows.OVERDUE_SECONDS + 1
    assert rows.get(A) is None
    assert rows.get(A) is None and len(rows) == 0            # dropped, and served again once refilled
    rows.put(rows.generation, A, ("a2",))
    assert rows.get(A) == ("a2",)


class Replicas(RuleBasedStateMachine):
    """The database (a version per request), writes whose notifications arrive later and in order, and
    reads that start, see the database, and keep what they read when they finish: once a request's
    notifications have all arrived, what is kept for it is its latest version or nothing."""

    @initialize()
    def start(self) -> None:
        self.rows = _live(capacity=3)
        self.db = {A: 0, B: 0, uuid.UUID(int=3): 0, uuid.UUID(int=4): 0}
        self.queue: list[str] = []
        self.reads: list[tuple[uuid.UUID, int, int]] = []

    @rule(request=st.sampled_from([A, B, uuid.UUID(int=3), uuid.UUID(int=4)]), many=st.booleans())
    def write(self, request: uuid.UUID, many: bool) -> None:
        self.db[request] += 1
        self.queue.append(holder_rows.EVERYTHING if many else str(request))

    @precondition(lambda self: self.queue)
    @rule()
    def deliver(self) -> None:
        self.rows.changed(self.queue.pop(0))

    @rule(request=st.sampled_from([A, B, uuid.UUID(int=3), uuid.UUID(int=4)]))
    def start_read(self, request: uuid.UUID) -> None:
        self.reads.append((request, self.rows.generation, self.db[request]))

    @precondition(lambda self: self.reads)
    @rule(which=st.integers(min_value=0, max_value=10))
    def finish_read(self, which: int) -> None:
        request, generation, version = self.reads.pop(which % len(self.reads))
        self.rows.put(generation, request, (version,))

    @rule(live=st.booleans())
    def connection(self, live: bool) -> None:
        self.rows.listening(live)
        self.queue.clear()  # what was sent while nobody listened is never delivered

    @invariant()
    def kept_is_latest_once_notified(self) -> None:
        waiting = set(self.queue)
        for request, version in self.db.items():
            if str(request) in waiting or holder_rows.EVERYTHING in waiting:
                continue
            kept = self.rows.get(request)
            assert kept is None or kept == (version,), (request, kept, version)


TestReplicas = Replicas.TestCase
TestReplicas.settings = hypothesis_settings(max_examples=300, stateful_step_count=40, deadline=None)
