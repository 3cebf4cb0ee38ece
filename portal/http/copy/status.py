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


# What a holder does next, by status, when there is something to do (approved: ``copy.release``). A rejected
# request's page also links to /prove, the guided proof's first question ("Start a new request").
NEXT_STEPS = {
    "rejected": ("This request was not approved; the note from staff, if there is one, says why. It is closed, so "
                 "you can start again: send a new request and prove again that you own the snapshot address, with "
                 "a destination you control."),
}
