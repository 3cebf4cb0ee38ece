"""The review state machine's table, checked exhaustively (pure: no database)."""

from __future__ import annotations

import itertools

import pytest

from portal.domain.review.states import (
    HOLDER_TRANSITIONS,
    TRANSITIONS,
    Status,
    next_status,
    next_status_by_holder,
    role_needed,
)
from portal.errors import IllegalTransitionError

DECISIONS = ("approve", "reject", "needs_info")
FINAL = {Status.APPROVED, Status.REJECTED, Status.NEEDS_INFO}


def test_final_states_have_no_way_out() -> None:
    for status, decision, big in itertools.product(FINAL, DECISIONS, (False, True)):
        with pytest.raises(IllegalTransitionError):
            next_status(status, decision, four_eyes=big)


def test_four_eyes_needs_two_approvals() -> None:
    assert next_status("pending_review", "approve", four_eyes=False) is Status.APPROVED
    assert next_status("pending_review", "approve", four_eyes=True) is Status.AWAITING_SECOND_APPROVAL
    assert next_status("awaiting_second_approval", "approve", four_eyes=True) is Status.APPROVED


def test_reject_and_needs_info_from_every_open_review_state() -> None:
    for status in (Status.PENDING_REVIEW, Status.AWAITING_SECOND_APPROVAL):
        assert next_status(status, "reject", four_eyes=True) is Status.REJECTED
        assert next_status(status, "needs_info", four_eyes=False) is Status.NEEDS_INFO


def test_table_is_exactly_the_documented_edges() -> None:
    assert len(TRANSITIONS) == 3 + 4 + 4
    assert all(target in Status for target in TRANSITIONS.values())


def test_roles_needed() -> None:
    assert role_needed("approve", four_eyes=True) == "approver"
    assert role_needed("approve", four_eyes=False) == "reviewer"
    assert role_needed("reject", four_eyes=True) == "reviewer"


def test_the_holders_answer_reopens_only_a_needs_info_request() -> None:
    assert next_status_by_holder("needs_info") is Status.PENDING_REVIEW
    for status in set(Status) - {Status.NEEDS_INFO}:
        with pytest.raises(IllegalTransitionError, match="only a request that needs information"):
            next_status_by_holder(status)


def test_holder_table_is_exactly_the_one_documented_edge() -> None:
    assert HOLDER_TRANSITIONS == {(Status.NEEDS_INFO, "answer"): Status.PENDING_REVIEW}
    assert not any(status is Status.NEEDS_INFO for status, _, _ in TRANSITIONS)  # staff cannot reopen it
