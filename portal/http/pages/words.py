"""Re-exports the journey's words (``portal.http.copy.journey``), plus the journey pages' scripts.

The words moved to ``portal.http.copy``; the method names live in the proof-method registry
(``portal.domain.proofs.registry``). This module is kept only so the page modules restructured in
parallel (issue 20) need no edit: import ``portal.http.copy.journey`` in new code, and delete this
module once nothing imports it.
"""

from __future__ import annotations

from portal.domain.proofs import registry
from portal.http.copy import journey as copy
from portal.http.copy.journey import (
    ADDRESS_HINT,
    BAD_CHALLENGE,
    CHAIN_HINT,
    CHAINS,
    EMPTY_PROOF,
    EXCHANGE_HEADING,
    EXCHANGE_TEXT,
    NOT_IN_SNAPSHOT,
    ONE_LINE_WORDS,
    WALLETS,
    destination_hint,
    method_words,
    proof_field,
    token_file,
    wallet_hint,
    wrong_destination_chain,
)
from portal.http.pages.view_models import Command

__all__ = ["ADDRESS_HINT", "BAD_CHALLENGE", "CHAINS", "CHAIN_HINT", "EMPTY_PROOF", "EXCHANGE_HEADING",
           "EXCHANGE_TEXT", "METHOD_NAMES", "NOT_IN_SNAPSHOT", "ONE_LINE_WORDS", "QUESTION_SCRIPTS", "SIGN_SCRIPTS",
           "WALLETS", "commands", "destination_hint", "method_words", "proof_field", "proof_kind_of", "token_file",
           "wallet_hint", "wrong_destination_chain"]

QUESTION_SCRIPTS = ("js/main.js",)
SIGN_SCRIPTS = ("js/main.js", "js/sign.js")
METHOD_NAMES = {method.name: method.holder.name for method in registry.METHODS}


def commands(method: str) -> tuple[Command, ...]:
    return tuple(Command(label, text) for label, text in copy.commands(method))


def proof_kind_of(method: str, text: str) -> str:
    """Which proof field pasted text is (the registry decides: a signed transaction is far longer than a
    64-byte signature); a signature when the form names no method the registry knows."""
    found = registry.BY_NAME.get(method)
    return found.field_of(text) if found else "signature"
