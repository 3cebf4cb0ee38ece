"""The one amount rule (``portal.domain.amounts``) and who may act (``review.states.actions_for``), pure."""

from __future__ import annotations

import datetime as dt

from portal.domain.amounts import chain_label, display_amount
from portal.domain.review.states import actions_for, live_lease_of
from portal.domain.staff import StaffPrincipal

REVIEWER = StaffPrincipal(name="rita", role="reviewer", source="api_key")
ADMIN = StaffPrincipal(name="ada", role="admin", source="api_key")
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_the_manifest_decides_and_the_setting_only_fills_in() -> None:
    assert display_amount(6, 1_234_500_000, fallback=18).text == "1,234.5 tokens (1234500000 base units)"
    assert display_amount(None, "1500000", fallback=6).tokens == "1.5"
    assert display_amount(None, 7, fallback=None).text == "7 base units"
    assert display_amount(0, 10**30).tokens == f"{10**30:,}"  # exact, no float
    assert (chain_label("evm"), chain_label("solana"), chain_label("other")) == ("Ethereum", "Solana", "other")


def test_who_may_escalate_or_reopen() -> None:
    free = actions_for(REVIEWER, status="pending_review", escalated=False, live_holder=None)
    assert (free.may_decide, free.may_escalate, free.may_reopen) == (False, True, False)
    mine = actions_for(REVIEWER, status="pending_review", escalated=False, live_holder=REVIEWER.actor)
    assert (mine.may_decide, mine.may_escalate) == (True, True)
    assert not actions_for(REVIEWER, status="pending_review", escalated=False, live_holder="key:other").may_escalate
    assert not actions_for(REVIEWER, status="pending_review", escalated=True, live_holder=None).may_escalate
    assert not actions_for(REVIEWER, status="awaiting_second_approval", escalated=False,
                           live_holder=None).may_escalate
    assert not actions_for(REVIEWER, status="rejected", escalated=False, live_holder=None).may_reopen
    for status, reopens in [("rejected", True), ("needs_info", True), ("approved", False), ("pending_review", False)]:
        assert actions_for(ADMIN, status=status, escalated=False, live_holder=None).may_reopen is reopens


def test_an_expired_lease_is_no_lease() -> None:
    assert live_lease_of("key:rita", NOW + dt.timedelta(seconds=1), NOW) == "key:rita"
    assert live_lease_of("key:rita", NOW, NOW) is None
    assert live_lease_of(None, None, NOW) is None
