"""The words of the guided proof: questions' hints, chains, wallet kinds, methods, the status-token file.

A method's name, explanation, proof field and commands to sign elsewhere come from its registry entry
(``portal.domain.proofs.registry``); this module only adds what the pages say around them.
"""

from __future__ import annotations

import datetime as dt

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


SIGN_MESSAGE_HEADING = "Sign the message"
SIGN_TRANSACTION_HEADING = "Sign the transaction (it is never sent)"
SEND_TRANSACTION_HEADING = "Send the transaction"


def sign_heading(method: str) -> str:
    """What the sign page asks for, in its heading: a message, or a transaction (signed only, or sent)."""
    found = registry.method(method)
    if found.unsigned_transaction:
        return SIGN_TRANSACTION_HEADING
    return SEND_TRANSACTION_HEADING if "tx_hash" in found.proof_fields else SIGN_MESSAGE_HEADING


def get_button(method: str, *, again: bool = False) -> str:
    """The check (or retry) page's button: what the holder is about to be given to sign (a message when
    ``method`` is none the registry knows: the retry page's form field is the holder's to change)."""
    found = registry.BY_NAME.get(method)
    thing = "transaction" if found and found.unsigned_transaction else "message"
    return f"Get a new {thing} to sign" if again else f"Get the {thing} to sign"


EXACT_TEXT_HEADING = "The text, exactly as it will be signed"
EXACT_TEXT_WORDS = "Check that your wallet or device shows this text, with your addresses in it, before you approve."
TYPED_FIELDS_HEADING = "The fields, exactly as your wallet will list them"
TYPED_FIELDS_WORDS = ("Your wallet or device shows the message as named fields, not as a text. Check that it lists "
                      "these names and values, with your addresses, before you approve.")
TYPED_SECTIONS = {"domain": "Domain (who asks)", "message": "Message (MigrationRequest)"}
MEMO_HEADING = "The memo, exactly as your wallet will show it"
MEMO_WORDS = ("Your wallet signs a transaction that carries only this memo. Check that the memo it shows names your "
              "snapshot address and the destination, before you approve. The portal never sends the transaction.")


def timestamp_note(seconds: int) -> str:
    """A Unix time as a person reads it (a wallet shows the number)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%H:%M:%S UTC on %d %B %Y")


# Ways to sign that a setting turns off. The holder is told which setting, never "at the moment": it is
# how the portal is set up, and it stays so until its operator changes it; and what works instead.
WALLETCONNECT_SETTING = "PORTAL_WALLETCONNECT_PROJECT_ID"
WALLETCONNECT_OFF = (f"Signing with a phone wallet through WalletConnect is turned off on this portal: its operator "
                     f"has not set {WALLETCONNECT_SETTING}.")
TANGEM_OFF = (
    f"A Tangem card signs only through the Tangem app and WalletConnect, and WalletConnect is turned off on this "
    f"portal: its operator has not set {WALLETCONNECT_SETTING}. So a card cannot sign here.",
    "What you can do: nothing is lost by waiting, because your allocation is fixed by the snapshot. Check the "
    "signed policy page for another official portal address or for the date card signing is turned on, and ask "
    "through the official contact it lists. Never hand your card, its access code or a seed phrase to anyone who "
    "offers to sign for you.",
)
TANGEM_EVM_COMMANDS = "The commands below are for a Ledger, a Trezor or a keystore file, not for a card."
WAYS_OFF_HEADING = "Not offered on this portal"


def exact_words(method: str) -> tuple[str, str]:
    """The heading and sentence above what the wallet will show: the fields, the memo, or the text."""
    found = registry.method(method)
    if found.typed_data:
        return TYPED_FIELDS_HEADING, TYPED_FIELDS_WORDS
    if found.unsigned_transaction:
        return MEMO_HEADING, MEMO_WORDS
    return EXACT_TEXT_HEADING, EXACT_TEXT_WORDS


def ways_turned_off(wallet: str, chain: str, offered: tuple[str, ...], walletconnect_on: bool, *,
                    commands_below: bool = True) -> tuple[str, ...]:
    """What the sign page (or, without ``commands_below``, the check page) says about a way to sign this
    journey would offer but a setting turns off: a heading, then which setting and what works instead
    (nothing when every way is on)."""
    if walletconnect_on or "walletconnect" not in offered:
        return ()
    if wallet == "tangem":
        commands = (TANGEM_EVM_COMMANDS,) if chain == "evm" and commands_below else ()
        return (WAYS_OFF_HEADING, *TANGEM_OFF, *commands)
    return (WAYS_OFF_HEADING, WALLETCONNECT_OFF + " Use a wallet in this browser, or sign somewhere else and paste "
            "the signature below.")


# What to paste, for a method whose registry entry names no command (a wallet answers with it).
PASTE_WORDS = {
    "solana_tx": ("Your wallet answers with a signature (base58, about 88 letters and digits) or with the whole "
                  "signed transaction (base64). Paste either; both are checked against the memo above. With a "
                  "Ledger or a key file and the solana command line, go back and choose that wallet instead: "
                  "it signs a message with solana sign-offchain-message."),
}


def paste_words(method: str) -> str:
    return PASTE_WORDS.get(method, "")


def token_file(request_id: str, status_token: str | None, public_url: str) -> str:
    return (f"Token migration portal: your request\nRequest: {request_id}\nStatus token: {status_token}\n"
            f"Check it at {public_url.rstrip('/')}/requests/{request_id} and enter the status token there.\n"
            "Keep this file private: anyone with the token can read your request. Support never asks for it.\n")
