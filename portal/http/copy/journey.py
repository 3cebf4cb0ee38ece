"""The words of the guided proof: questions' hints, chains, wallet kinds, methods, the status-token file.

A method's name, explanation, proof field and commands to sign elsewhere come from its registry entry
(``portal.domain.proofs.registry``); this module only adds what the pages say around them.
"""

from __future__ import annotations

from portal.domain.journey import MethodChoice
from portal.domain.proofs import registry
from portal.http.copy.errors import NOT_IN_SNAPSHOT

__all__ = ["NOT_IN_SNAPSHOT"]  # the same sentence as the ``not_eligible`` error: one wording

ADDRESS_HINT = "The wallet address that held the old token when the snapshot was taken: 0x… or a Solana address."
CHAIN_HINT = "The new token exists on both. Choose the chain of the wallet you will use from now on."
CHAINS = {
    "evm": ("Ethereum (an 0x… address)", "Also the address you use on other EVM networks."),
    "solana": ("Solana", "An address of 32 to 44 letters and digits."),
}
WALLETS = {
    "browser": ("A wallet in this browser", "MetaMask, Rabby, Phantom, Solflare or another browser extension."),
    "hardware": ("A Ledger or Trezor", "Connected to this computer, directly or through a browser wallet."),
    "tangem": ("A Tangem card", "Signed with the Tangem app on your phone."),
    "safe": ("A Safe multisig", "Its owners sign here one at a time, over up to a week; the Safe confirms on chain."),
    "contract": ("Another contract wallet or smart account", "An owner signs; the contract confirms on chain."),
    "cli": ("The Solana command line", "A keypair file or a Ledger used with the solana command."),
    "exchange": ("My tokens were on an exchange", "Binance, Coinbase, Kraken or any other exchange account."),
}
EXCHANGE_HEADING = "Tokens held on an exchange cannot be proven here"
EXCHANGE_TEXT = (
    "An exchange keeps its customers' tokens in its own wallets. The snapshot address was the exchange's, not "
    "yours, and only the exchange can sign for it.",
    "Ask the exchange how it handles the migration for its customers. Most credit the new token to your account.",
    "Nobody here can move an exchange's allocation to you. Anyone who offers to, for a fee or your login "
    "details, is a scammer.",
)
ONE_LINE_WORDS = "The text is a single line, so that a Ledger can show all of it on its screen before you approve."
CROSS_SITE_HEADING = "This form was sent from another website"
CROSS_SITE_TEXT = (
    "Your browser says that another website, not this one, sent you here with answers already filled in. "
    "Nothing was done with them.",
    "If someone sent you a link or a page to \"migrate\" your tokens, stop: that is how scams use official "
    "sites. Start again from this site's own address, which you type yourself, and type your destination yourself.",
)
SIGN_WARNING = ("Only continue if you typed this address yourself. If someone sent you here, or gave you this "
                "address, stop: the new token would go to them.")
SIGN_DESTINATION_HEADING = "The new token will go to this address"
BAD_CHALLENGE = "This page is out of date. Get a new message to sign."
EMPTY_PROOF = "Paste the signature your wallet or tool gave you, then send it."


def wrong_destination_chain(chain: str) -> str:
    return f"Enter a {CHAINS.get(chain, (chain,))[0].split(' (')[0]} address, or go back and choose another chain."


def wallet_hint(holder_chain: str) -> str:
    return ("Choose the one that holds the snapshot address, even if it cannot connect to the migration app."
            if holder_chain else "")


def destination_hint(chain: str) -> str:
    if chain == "solana":
        return "A Solana address you control. Copy it from your wallet rather than typing it."
    return "An 0x… address you control. Copy it from your wallet rather than typing it. Never an exchange address."


def method_name(method: str) -> str:
    return registry.method(method).holder.name


def method_words(choice: MethodChoice) -> tuple[str, ...]:
    extra = (ONE_LINE_WORDS,) if choice.message_style == "one_line" else ()
    return (registry.method(choice.method).holder.explanation, *extra)


def proof_field(method: str) -> tuple[str, str]:
    """The label and hint of the box the holder pastes the proof into."""
    words = registry.method(method).holder
    return words.proof_label, words.proof_hint


def commands(method: str) -> tuple[tuple[str, str], ...]:
    """Exact commands (label, command) to sign the downloaded ``challenge.txt`` (or ``typed-data.json``) elsewhere."""
    return registry.method(method).holder.commands


def token_file(request_id: str, status_token: str | None, public_url: str) -> str:
    return (f"Token migration portal: your request\nRequest: {request_id}\nStatus token: {status_token}\n"
            f"Check it at {public_url.rstrip('/')}/requests/{request_id} and enter the status token there.\n"
            "Keep this file private: anyone with the token can read your request. Support never asks for it.\n")
