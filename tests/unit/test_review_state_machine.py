"""The review state machine's table, checked exhaustively (pure: no database)."""

from __future__ import annotations

import itertools

import pytest

from portal.domain.review import TRANSITIONS, Status, next_status, role_needed
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
