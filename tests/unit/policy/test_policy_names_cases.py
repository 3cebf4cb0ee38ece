"""The signed (demo and example) policy says where staff answer a case, in the portal's own words."""

from __future__ import annotations

import datetime as dt

from policy.demo import demo_document
from portal.domain.cases import STAFF_ONLY_HERE


def test_the_signed_demo_policy_says_staff_reply_only_on_the_portal() -> None:
    doc = demo_document(public_url="http://127.0.0.1:8000", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), version=1,
                        prev="")
    assert STAFF_ONLY_HERE in " ".join(doc.raw.decode().split())
