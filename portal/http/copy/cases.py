"""The words of the case pages (issue 23)."""

from __future__ import annotations

from portal.domain.cases import STAFF_ONLY_HERE
from portal.errors import PortalError
from portal.http.copy.errors import sentence

__all__ = ["KIND_CHOICES", "KIND_WORDS", "METHOD_CHOICES", "STAFF_ONLY_HERE", "case_sentence"]

KIND_CHOICES = (
    ("not_in_snapshot", "My address is not in the snapshot",
     "For example: your tokens were in a pool, a vault, a lending market or on an exchange, or you think the "
     "snapshot missed you."),
    ("amount_wrong", "The amount is wrong", "The snapshot lists this address, but not for what it held."),
    ("late", "I missed the claim deadline", "Only after the deadline, when the signed policy says late requests "
     "are reviewed."),
    ("question", "I have a question", "Which address, which chain, is this link real: anything else."),
)
KIND_WORDS = {value: label for value, label, _ in KIND_CHOICES}
#: Methods the case pages offer: a message signed in any wallet or tool, pasted back.
METHOD_CHOICES = {"evm": (("eip191", "Sign a message (personal_sign) in any Ethereum wallet or tool"),),
                  "solana": (("solana", "Sign a message in any Solana wallet or tool"),)}
STATUS_WORDS = {"open": "Open: staff will reply here", "closed": "Closed"}
OUTCOME_WORDS = {"upheld": "Upheld: the correction is in the public log and goes into the next release",
                 "rejected": "Not upheld", "answered": "Answered"}
# Codes whose detail the domain wrote as the sentence a holder should read.
_DETAIL_IS_THE_SENTENCE = frozenset({"invalid_input", "kind_not_applicable", "case_closed", "case_full"})


def case_sentence(error: PortalError) -> str:
    if error.code in _DETAIL_IS_THE_SENTENCE:
        return error.detail[:1].upper() + error.detail[1:]
    if error.code == "not_found" and error.field == "case_id":
        return "We could not find a case with that reference and status token. Check both and try again."
    return sentence(error)
