"""The plain words of the guided flow: questions' hints, wallet kinds, methods, commands to sign elsewhere.

Kept apart from the handlers so the flow's logic reads in a few lines and the text in one place.
"""

from __future__ import annotations

from portal.domain.journey import MethodChoice
from portal.http.pages.view_models import Command

QUESTION_SCRIPTS = ("js/main.js",)
ADDRESS_HINT = "The wallet address that held the old token when the snapshot was taken: 0x… or a Solana address."
CHAIN_HINT = "The new token exists on both. Choose the chain of the wallet you will use from now on."
NOT_IN_SNAPSHOT = ("This address is not in the snapshot, so there is nothing to prove for it. Check that it is the "
                   "address that held the old token.")
CHAINS = {
    "evm": ("Ethereum (an 0x… address)", "Also the address you use on other EVM networks."),
    "solana": ("Solana", "An address of 32 to 44 letters and digits."),
}
WALLETS = {
    "browser": ("A wallet in this browser", "MetaMask, Rabby, Phantom, Solflare or another browser extension."),
    "hardware": ("A Ledger or Trezor", "Connected to this computer, directly or through a browser wallet."),
    "tangem": ("A Tangem card", "Signed with the Tangem app on your phone."),
    "contract": ("A Safe or another contract wallet", "Its owners sign; the contract confirms on chain."),
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
METHOD_NAMES = {
    "eip191": "Sign a message (personal_sign)",
    "eip712": "Sign structured data (EIP-712)",
    "eip1271": "Sign as an owner of a contract wallet (EIP-1271)",
    "transaction": "Send a transaction that moves nothing",
    "solana": "Sign a message",
    "solana_tx": "Sign a transaction that is never sent",
}
_METHOD_WORDS = {
    "eip191": ("Your wallet signs a short text that names your snapshot address, your destination and today's "
               "date. A signature is not a transaction: it moves nothing and costs nothing.",),
    "eip712": ("Your device shows each field of the message (your snapshot address, your destination, the dates) "
               "before you approve it. It moves nothing and costs nothing.",),
    "eip1271": ("An owner of the contract wallet signs the text. The portal then asks the contract, on chain, "
                "whether that signature speaks for it. Nothing is sent and nothing is spent.",),
    "transaction": ("You send a transaction of 0 coins to yourself carrying a code. It costs a small fee.",),
    "solana": ("Your wallet signs a short text that names your snapshot address, your destination and today's "
               "date. A signature is not a transaction: it moves nothing and costs nothing.",),
    "solana_tx": ("Your wallet signs a transaction that carries a code in a memo. The portal never sends it, so it "
                  "moves nothing and costs nothing.",),
}
ONE_LINE_WORDS = "The text is a single line, so that a Ledger can show all of it on its screen before you approve."
BAD_CHALLENGE = "This page is out of date. Get a new message to sign."
EMPTY_PROOF = "Paste the signature your wallet or tool gave you, then send it."
_PROOF_FIELDS = {
    "solana_tx": ("Signature or signed transaction",
                  "Paste the signature (base58) or the whole signed transaction (base64) your wallet returned."),
    "transaction": ("Transaction hash", "The 0x… hash of the transaction you sent."),
}
_SIGNATURE_FIELD = ("Signature", "Paste the whole signature your wallet or tool printed (0x… or base58).")


def wrong_destination_chain(chain: str) -> str:
    return f"Enter a {CHAINS.get(chain, (chain,))[0].split(' (')[0]} address, or go back and choose another chain."


def wallet_hint(holder_chain: str) -> str:
    return ("Choose the one that holds the snapshot address, even if it cannot connect to the migration app."
            if holder_chain else "")


def destination_hint(chain: str) -> str:
    if chain == "solana":
        return "A Solana address you control. Copy it from your wallet rather than typing it."
    return "An 0x… address you control. Copy it from your wallet rather than typing it. Never an exchange address."


def method_words(choice: MethodChoice) -> tuple[str, ...]:
    extra = (ONE_LINE_WORDS,) if choice.message_style == "one_line" else ()
    return (*_METHOD_WORDS[choice.method], *extra)


def proof_field(method: str) -> tuple[str, str]:
    return _PROOF_FIELDS.get(method, _SIGNATURE_FIELD)


def proof_kind_of(method: str, text: str) -> str:
    """Which proof field pasted text is: a signed transaction is far longer than a 64-byte signature."""
    if method == "transaction":
        return "tx_hash"
    if method == "solana_tx" and len(text) > 132:
        return "signed_transaction"
    return "signature"


SIGN_SCRIPTS = ("js/main.js", "js/sign.js")


def commands(method: str) -> tuple[Command, ...]:
    """Exact commands to sign the downloaded ``challenge.txt`` (or ``typed-data.json``) elsewhere."""
    if method in ("eip191", "eip1271"):
        return (Command("Foundry, with a Ledger (use --trezor for a Trezor)",
                        'cast wallet sign --ledger "$(cat challenge.txt)"'),
                Command("Foundry, with a key you type in (it is not saved)",
                        'cast wallet sign --interactive "$(cat challenge.txt)"'))
    if method == "eip712":
        return (Command("Foundry, with a Ledger (use --trezor for a Trezor)",
                        "cast wallet sign --ledger --data --from-file typed-data.json"),)
    if method == "solana":
        return (Command("Solana CLI, with a Ledger",
                        'solana sign-offchain-message -k usb://ledger "$(cat challenge.txt)"'),
                Command("Solana CLI, with a keypair file",
                        'solana sign-offchain-message -k ~/.config/solana/id.json "$(cat challenge.txt)"'))
    return ()


def token_file(request_id: str, status_token: str | None, public_url: str) -> str:
    return (f"Token migration portal: your request\nRequest: {request_id}\nStatus token: {status_token}\n"
            f"Check it at {public_url.rstrip('/')}/requests/{request_id} and enter the status token there.\n"
            "Keep this file private: anyone with the token can read your request. Support never asks for it.\n")
