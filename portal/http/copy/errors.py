"""Every error the API can give, as a sentence that says what to do next (never a code).

Pages catch the same ``PortalError``s the JSON API maps to problem+json and show ``sentence(error)``
beside the field it names. Unknown codes fall back to a sentence per HTTP status.
"""

from __future__ import annotations

from portal.errors import PortalError, RpcNotConfiguredError

NOT_IN_SNAPSHOT = ("This address is not in the snapshot, so there is nothing to prove for it. Check that you entered "
                   "the address that held the old token.")
_BY_CODE = {
    "invalid_address": "Enter the address exactly as your wallet shows it: 0x followed by 40 letters and digits "
                       "for Ethereum, or a Solana address of 32 to 44 letters and digits.",
    "invalid_checksum": "One or more letters of this address have the wrong case, which usually means a typo. "
                        "Copy the address from your wallet again instead of typing it.",
    "unusable_destination": "Nobody can use tokens sent to this address: it is the zero address, a burn address, "
                            "or a contract named in the official policy (the token or a distributor). Enter the "
                            "address of a wallet you control, copied from that wallet.",
    "not_eligible": NOT_IN_SNAPSHOT,
    "challenge_expired": "The message to sign has expired (each one is valid for a short time). Get a new message "
                         "and sign it straight away.",
    "challenge_used": "This message was already used to send a request. If you sent it, check your request with "
                      "your status token; otherwise get a new message.",
    "signature_mismatch": "The signature was not made by the snapshot address for this exact message. Sign again "
                          "with the wallet that holds the snapshot address, without changing the text.",
    "malformed_signature": "That does not look like a complete signature. Paste everything your wallet or tool "
                           "printed, with nothing added.",
    "rate_limited": "There have been too many attempts from your connection. Wait a minute, then try again.",
    "rpc_unavailable": "This portal could not reach the blockchain node it uses to check contract wallets and "
                       "transactions. Nothing was saved. Try again in a few minutes.",
    "rpc_wrong_chain": "This portal's blockchain node is on another network than the one it checks contract wallets "
                       "on, so it cannot check yours: a contract wallet on one network is not the same account on "
                       "another. Nothing was saved. Its operator must fix the node; nothing is lost by waiting.",
    "upstream_unavailable": "A service this portal depends on is not answering. Try again in a few minutes.",
    "illegal_transition": "This request is not waiting for an answer from you any more. Its current status is "
                          "shown on this page.",
    "conflict": "Someone else changed this request at the same moment. Reload the page to see its status.",
    "not_found": "We could not find a request with that reference and status token. Check both and try again.",
}
_BY_STATUS = {
    400: "Something in the form is not right. Check each answer and try again.",
    404: "This page does not exist. Start again from the home page.",
    405: "This page cannot be used like that. Start again from the home page.",
    409: _BY_CODE["conflict"],
    410: _BY_CODE["challenge_expired"],
    422: "This request cannot be accepted as it is. Check your answers and try again.",
    429: _BY_CODE["rate_limited"],
    503: _BY_CODE["upstream_unavailable"],
}
FALLBACK = "Something went wrong on our side. Nothing was saved. Try again in a few minutes."


# A method turned off because a setting is not set: which setting, and what works instead (never "at the
# moment": it stays so until the portal's operator changes the setting). Keyed by ``extra["setting"]``.
_WAITING_IS_SAFE = ("Nothing is lost by waiting: your allocation is fixed by the snapshot. Check the signed policy "
                    "page for another official portal address, and ask through the official contact it lists.")
NOT_CONFIGURED = {
    "PORTAL_EVM_RPC_URL": "This portal does not check contract wallets (such as a Safe) or sent transactions: its "
                          "operator has not connected it to an Ethereum node (the setting PORTAL_EVM_RPC_URL). If "
                          "the old token was in an owner's own wallet, go back and choose that kind of wallet. "
                          + _WAITING_IS_SAFE,
    "PORTAL_SOLANA_RPC_URL": "This portal does not check transactions sent on Solana (such as from a multisig): its "
                             "operator has not connected it to a Solana node (the setting PORTAL_SOLANA_RPC_URL). "
                             "If the snapshot address can sign a message, go back and choose that kind of wallet. "
                             + _WAITING_IS_SAFE,
}


# Errors whose detail is already the sentence a holder reads (the signed policy's own words).
_DETAIL_IS_THE_SENTENCE = frozenset({"claim_window_closed"})


def sentence(error: PortalError) -> str:
    if isinstance(error, RpcNotConfiguredError) and error.extra.get("setting") in NOT_CONFIGURED:
        return NOT_CONFIGURED[error.extra["setting"]]
    if error.code in _DETAIL_IS_THE_SENTENCE:
        return error.detail
    return _BY_CODE.get(error.code) or for_status(error.status)


def for_status(status: int) -> str:
    return _BY_STATUS.get(status, FALLBACK)
