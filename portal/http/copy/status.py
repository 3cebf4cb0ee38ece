"""A request's status, in the words the holder reads on ``/requests/{id}``."""

from __future__ import annotations

STATUS_WORDS = {
    "pending_review": "Waiting for review",
    "in_review": "Being reviewed",
    "needs_info": "Staff need more information from you",
    "awaiting_second_approval": "Approved by one reviewer, waiting for a second",
    "approved": "Approved: your destination is on the allowlist",
    "rejected": "Not approved",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)
