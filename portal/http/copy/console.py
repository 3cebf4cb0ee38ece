"""The words staff read in the console: statuses, audit actions and who did them, in sentences.

The console shows the same facts as the JSON API, but never a code where a word belongs: a status is
"waiting for review", not ``pending_review``; an actor is the member's name, not ``key:rita``.
"""

from __future__ import annotations

from portal.domain.staff import name_of

STATUS_WORDS = {
    "pending_review": "Waiting for review",
    "awaiting_second_approval": "Waiting for a second approval",
    "needs_info": "Waiting for the holder's answer",
    "approved": "Approved",
    "rejected": "Rejected",
}

ACTION_WORDS = {
    "request:proof:accepted": "Request sent by the holder",
    "request:answer:submitted": "Holder answered",
    "review:request:claimed": "Claimed",
    "review:request:released": "Lease released",
    "review:request:escalated": "Escalated to approvers",
    "review:request:reopened": "Reopened",
    "review:decision:approved": "Approved",
    "review:decision:first_approval": "First approval",
    "review:decision:rejected": "Rejected",
    "review:decision:needs_info": "Asked the holder for more information",
    "staff:key:created": "Staff key created",
    "staff:key:revoked": "Staff key revoked",
    "staff:key:role_changed": "Staff role changed",
    "staff:session:started": "Signed in",
    "staff:session:ended": "Signed out",
    "policy:version:published": "Policy version published",
    "policy:root:published": "Policy trust root published",
    "release:published": "Release published",
}

RISK_WORDS = {
    "destination_reused": "Destination used before",
    "client_many_requests": "Many requests from one client",
    "contract_wallet": "Contract wallet",
    "four_eyes_amount": "Needs two approvers",
    "escalated": "Escalated",
    "destination_in_snapshot": "Destination is a snapshot address",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def risk_words(code: str) -> str:
    return RISK_WORDS.get(code, code.replace("_", " ").capitalize())


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action)


def who(actor: str | None) -> str:
    """A member of staff by name (``key:rita`` and ``jwt:https://idp#rita`` are both "rita"); a holder as
    "the holder"; anything else (the CLI's ``test``, ``cli``) as it is written."""
    if not actor:
        return ""
    if actor.startswith("holder:"):
        return "the holder"
    return name_of(actor)


def sentence(text: str) -> str:
    """A domain message as a sentence: a capital first, a full stop last."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
