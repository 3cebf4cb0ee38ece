"""Hypothesis stateful test: claim (next or chosen) / release / escalate / decide / holder answer /
reopen / lease-expiry sequences against a model of the queue.

The domain runs against a real database with an injected clock; the model is a few dicts. After
every step the statuses, leases and first approvers in the database must equal the model's, and
every refusal must be the one the model predicts.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from portal.domain import answers
from portal.domain.challenges import RequestMeta
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.domain.filing import RequestAccess
from portal.domain.review import decisions, leases
from portal.domain.review import states as review
from portal.domain.staff import StaffPrincipal
from portal.errors import PortalError
from portal.settings import Settings
from portal.store.database import Database
from tests.integration.staff_helpers import EPOCH, audit_chain_key, seed_requests

THRESHOLD = 1000
LEASE_SECONDS = 60
AMOUNTS = [10, THRESHOLD, 10, THRESHOLD]
STAFF = {name: StaffPrincipal(name=name, role=role, source="api_key")  # type: ignore[arg-type]
         for name, role in [("rita", "reviewer"), ("alma", "approver"), ("abel", "approver"), ("ada", "admin")]}


def test_review_queue_matches_its_model(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    db = loop.run_until_complete(Database.open(database_url, size=2, audit_chain_key=audit_chain_key()))
    snapshots = SnapshotSet([])
    clock_now = [EPOCH]
    ctx = UseCaseContext(db=db, snapshots=snapshots,
                         settings=Settings(four_eyes_amount=str(THRESHOLD), review_lease_seconds=LEASE_SECONDS),
                         clock=lambda: clock_now[0])

    class QueueModel(RuleBasedStateMachine):
        @initialize()
        def fresh_queue(self) -> None:
            with psycopg.connect(database_url) as conn:
                conn.execute("DELETE FROM request_answers")
                conn.execute("DELETE FROM requests")
                conn.execute("DELETE FROM challenges")
            seeded = [seed_requests(database_url, 1, amount=amount, start=EPOCH + dt.timedelta(seconds=i))[0]
                      for i, amount in enumerate(AMOUNTS)]
            self.ids = [s.request_id for s in seeded]
            self.tokens = {s.request_id: s.status_token for s in seeded}
            self.now = EPOCH + dt.timedelta(days=1)
            self.status = {i: "pending_review" for i in self.ids}
            self.lease: dict = {i: None for i in self.ids}  # (actor, expires)
            self.first: dict = {i: None for i in self.ids}
            self.amount = dict(zip(self.ids, AMOUNTS, strict=True))
            self.escalated = {i: False for i in self.ids}

        def live(self, request_id) -> tuple[str, dt.datetime] | None:  # type: ignore[no-untyped-def]
            lease = self.lease[request_id]
            return lease if lease and lease[1] > self.now else None

        def expected_claim(self, actor: StaffPrincipal):  # type: ignore[no-untyped-def]
            for request_id in self.ids:  # created in this order
                status = self.status[request_id]
                approver = actor.holds("approver")
                offered = approver or (self.amount[request_id] < THRESHOLD and not self.escalated[request_id])
                claimable = (status == "pending_review" and offered) or (
                    status == "awaiting_second_approval" and approver
                    and self.first[request_id] != actor.actor)
                if claimable and self.live(request_id) is None:
                    return request_id
            return None

        def run(self, work):  # type: ignore[no-untyped-def]
            clock_now[0] = self.now  # the use cases read the model's time through the context's clock

            async def in_transaction():  # type: ignore[no-untyped-def]
                async with db.transaction() as conn:
                    return await work(conn)
            return loop.run_until_complete(in_transaction())

        @rule(name=st.sampled_from(sorted(STAFF)))
        def claim(self, name: str) -> None:
            actor = STAFF[name]
            expected = self.expected_claim(actor)
            got = self.run(lambda conn: leases.claim_next(conn, ctx, actor))
            assert (got.request_id if got else None) == expected
            if expected is not None:
                self.lease[expected] = (actor.actor, self.now + dt.timedelta(seconds=LEASE_SECONDS))

        @rule(name=st.sampled_from(sorted(STAFF)), index=st.integers(0, len(AMOUNTS) - 1),
              decision=st.sampled_from(["approve", "reject", "needs_info"]))
        def decide(self, name: str, index: int, decision: review.Decision) -> None:
            actor, request_id = STAFF[name], self.ids[index]
            four_eyes = self.amount[request_id] >= THRESHOLD
            target = review.TRANSITIONS.get((review.Status(self.status[request_id]), decision, four_eyes))
            lease = self.live(request_id)
            if target is None:
                expected_error = "illegal_transition"
            elif lease is None or lease[0] != actor.actor:
                expected_error = "lease_not_held"
            elif not actor.holds(review.role_needed(decision, four_eyes=four_eyes)):
                expected_error = "forbidden"
            else:
                expected_error = None
            try:
                command = decisions.DecisionCommand(request_id, decision, reason="model")
                self.run(lambda conn: decisions.decide(conn, ctx, actor, command))
            except PortalError as exc:
                assert exc.code == expected_error, (exc.code, expected_error)
                return
            assert expected_error is None, f"expected {expected_error}"
            if target is review.Status.AWAITING_SECOND_APPROVAL:
                self.first[request_id] = actor.actor
            self.status[request_id] = str(target)
            self.lease[request_id] = None

        @rule(index=st.integers(0, len(AMOUNTS) - 1))
        def holder_answers(self, index: int) -> None:
            request_id = self.ids[index]
            target = review.HOLDER_TRANSITIONS.get((review.Status(self.status[request_id]), "answer"))
            try:
                ctx = UseCaseContext(db, snapshots, Settings(), clock=lambda: self.now)
                loop.run_until_complete(answers.answer(
                    ctx, RequestAccess(request_id, self.tokens[request_id]), answers.AnswerSubmission("more info"),
                    RequestMeta(None, None)))
            except PortalError as exc:
                assert target is None and exc.code == "illegal_transition", exc.code
                return
            assert target is review.Status.PENDING_REVIEW
            self.status[request_id], self.lease[request_id], self.first[request_id] = str(target), None, None

        def expected_chosen_claim_error(self, actor: StaffPrincipal, request_id) -> str | None:  # type: ignore[no-untyped-def]
            lease, status, approver = self.live(request_id), self.status[request_id], actor.holds("approver")
            if lease is not None and lease[0] != actor.actor:
                return "lease_held"
            if status == "pending_review":
                big = self.amount[request_id] >= THRESHOLD
                return "forbidden" if not approver and (big or self.escalated[request_id]) else None
            if status == "awaiting_second_approval":
                if not approver:
                    return "forbidden"
                return "second_approver_required" if self.first[request_id] == actor.actor else None
            return "not_claimable"

        def attempt(self, work, expected_error: str | None) -> bool:  # type: ignore[no-untyped-def]
            try:
                self.run(work)
            except PortalError as exc:
                assert exc.code == expected_error, (exc.code, expected_error)
                return False
            assert expected_error is None, f"expected {expected_error}"
            return True

        @rule(name=st.sampled_from(sorted(STAFF)), index=st.integers(0, len(AMOUNTS) - 1))
        def claim_chosen(self, name: str, index: int) -> None:
            actor, request_id = STAFF[name], self.ids[index]
            if self.attempt(lambda conn: leases.claim(conn, ctx, actor, request_id),
                            self.expected_chosen_claim_error(actor, request_id)):
                self.lease[request_id] = (actor.actor, self.now + dt.timedelta(seconds=LEASE_SECONDS))

        @rule(name=st.sampled_from(sorted(STAFF)), index=st.integers(0, len(AMOUNTS) - 1))
        def release(self, name: str, index: int) -> None:
            actor, request_id = STAFF[name], self.ids[index]
            lease = self.live(request_id)
            expected = None if lease is not None and lease[0] == actor.actor else "lease_not_held"
            if self.attempt(lambda conn: leases.release(conn, ctx, actor, request_id), expected):
                self.lease[request_id] = None

        @rule(name=st.sampled_from(sorted(STAFF)), index=st.integers(0, len(AMOUNTS) - 1))
        def escalate(self, name: str, index: int) -> None:
            actor, request_id = STAFF[name], self.ids[index]
            lease = self.live(request_id)
            if lease is not None and lease[0] != actor.actor:
                expected: str | None = "lease_held"
            elif self.status[request_id] != "pending_review":
                expected = "not_escalatable"
            elif self.escalated[request_id]:
                expected = "already_escalated"
            else:
                expected = None
            if self.attempt(lambda conn: decisions.escalate(conn, ctx, actor, request_id, "model"), expected):
                self.escalated[request_id] = True
                self.lease[request_id] = None

        @rule(name=st.sampled_from(sorted(STAFF)), index=st.integers(0, len(AMOUNTS) - 1))
        def reopen(self, name: str, index: int) -> None:
            actor, request_id = STAFF[name], self.ids[index]
            if not actor.holds("admin"):
                expected: str | None = "forbidden"
            elif self.status[request_id] not in ("rejected", "needs_info"):
                expected = "illegal_transition"
            else:
                expected = None
            if self.attempt(lambda conn: decisions.reopen(conn, ctx, actor, request_id, "model"), expected):
                self.status[request_id] = "pending_review"
                self.lease[request_id] = None
                self.first[request_id] = None

        @rule(seconds=st.sampled_from([1, LEASE_SECONDS // 2, LEASE_SECONDS]))
        def time_passes(self, seconds: int) -> None:
            self.now += dt.timedelta(seconds=seconds)

        @invariant()
        def database_matches_model(self) -> None:
            if not hasattr(self, "ids"):
                return
            with psycopg.connect(database_url) as conn:
                rows = {row[0]: row[1:] for row in conn.execute(
                    "SELECT id, status, lease_holder, lease_expires_at, first_approver, escalated_at IS NOT NULL"
                    " FROM requests")}
            for request_id in self.ids:
                status, holder, expires, first, escalated = rows[request_id]
                assert escalated == self.escalated[request_id]
                assert status == self.status[request_id]
                assert first == self.first[request_id]
                lease = self.lease[request_id]
                assert (holder, expires) == (lease if lease else (None, None))
            approved_by = {self.first[i] for i in self.ids if self.status[i] == "approved" and self.first[i]}
            assert None not in approved_by

    try:
        run_state_machine_as_test(QueueModel, settings=hypothesis_settings(
            max_examples=25, stateful_step_count=25, deadline=None))
    finally:
        loop.run_until_complete(db.close())
        loop.close()
