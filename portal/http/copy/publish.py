"""What a publisher reads on ``/staff/publish``: notices after each step, and the sentence that says
how far a document is from being published. Words only; the numbers come from ``pending.PendingView``.
"""

from __future__ import annotations

from portal.domain.pending import PendingView

NOTICES = {
    "uploaded": "Uploaded. It is waiting for signatures: each signer opens this page and signs with their own wallet.",
    "signed": "Signature added.",
    "published": "Published. Holders see it now, and anyone can verify it.",
    "withdrawn": "Withdrawn. Nothing was published; upload a new document to start again.",
}


def name_of(actor: str | None) -> str:
    """The name a person reads for an audit actor: ``key:pia`` -> ``pia``, ``jwt:https://idp#ann`` -> ``ann``."""
    if not actor:
        return ""
    return actor.rsplit("#", 1)[1] if actor.startswith("jwt:") and "#" in actor else actor.removeprefix("key:")


def progress(view: PendingView) -> str:
    """One sentence: k of the threshold, and what is missing before Publish unlocks."""
    if view.outcome == "published":
        return f"Published by {name_of(view.closed_by)} with {view.signed} of the {view.threshold} required signatures."
    if view.outcome == "withdrawn":
        return f"Withdrawn by {name_of(view.closed_by)}. It was not published."
    counted = (f"Signed by {view.signed} of the {view.threshold} required signers of trust root version "
               f"{view.root_version}.")
    if view.ready:
        return counted + " Ready to publish."
    if view.signed < view.threshold:
        missing = view.threshold - view.signed
        return counted + f" {missing} more {'signature is' if missing == 1 else 'signatures are'} needed to publish."
    return counted + " It cannot be published until the problems below are fixed."
