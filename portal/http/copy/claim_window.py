"""What a holder reads when the claim window of the signed policy has closed (the sentence itself is
the policy's own ``late_notice``)."""

from __future__ import annotations

WINDOW_CLOSED_HEADING = "The claim window has closed"
WINDOW_CLOSED_FILED = ("If you sent a request before the deadline, it carries on: see it with its reference and "
                       "status token at /requests.")
