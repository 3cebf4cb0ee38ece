"""Review of holders' requests by staff, cut by job:

- ``states``: the statuses, the transitions and who may do what (pure; the state machine is drawn there);
- ``evidence``: what a reviewer sees of one request (the detail built from its row, risk flags, history);
- ``decisions``: decide, escalate, reopen;
- ``leases``: claim (the oldest or a chosen one), release;
- ``queue``: listing with filters and search, the cursor, the stats.

The names other areas use are re-exported here, so ``from portal.domain import review`` keeps working.
"""

from __future__ import annotations

from portal.domain.review.queue import queue_stats
from portal.domain.review.states import Decision, Status, next_status_by_holder

__all__ = ["Decision", "Status", "next_status_by_holder", "queue_stats"]
