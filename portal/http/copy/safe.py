"""The words of a Safe's signing page: what each owner does, the Safe{Wallet} way, and the one-chain warning."""

from __future__ import annotations

HEADING = "Your Safe's owners sign here"
INTRO = ("Each owner of the Safe signs the same short message with their own wallet. Send this page's link to the "
         "other owners: they can sign on any day until the deadline below. When enough owners have signed, the "
         "portal asks the Safe itself, on chain, whether their signatures speak for it, and sends your request.")
NOTHING_SPENT = "Signing moves nothing and costs nothing. Nobody here will ever ask an owner for a seed phrase."


SAME_ADDRESS_ELSEWHERE = ("The same address on another chain is another account, with other owners or none: a Safe "
                         "or smart account on one chain does not own that address anywhere else.")


def one_chain_warning(safe: str, chain_id: int) -> str:
    return f"This proves the Safe {safe} on chain {chain_id} only. {SAME_ADDRESS_ELSEWHERE}"


def contract_chain_warning(address: str, chain_id: int) -> str:
    """The same warning for any contract wallet or smart account (EIP-1271, or EIP-6492 before it is deployed)."""
    return (f"This proves the contract wallet or smart account {address} on chain {chain_id} only, deployed or "
            f"not yet. {SAME_ADDRESS_ELSEWHERE} Your request, and the release that pays it, stay on chain "
            f"{chain_id}.")


OWNER_STEPS = (
    "Open this page in the browser where your owner wallet is (the wallet of one owner, not the Safe itself).",
    "Press \"Sign as an owner\". Your wallet shows a SafeMessage to sign.",
    "Before you approve, check two things in your wallet: the verifying contract is the Safe address above, and the "
    "chain id is the one above. Anything else means the page is not this portal's.",
    "Approve. The page counts your signature and shows how many more are needed.",
)
SAFE_WALLET_STEPS = (
    "If your Safe already signed this message in Safe{Wallet} and its owners confirmed it there, open the message "
    "under Transactions, Messages, and copy its signature.",
    "Paste it under \"Send the whole Safe signature\" below. The portal checks it with the Safe itself.",
    "If the Safe signed the message on chain (with the Sign Message library), send 0x instead: the portal reads "
    "the Safe's signedMessages.",
)
PASTE_OWNER_HINT = ("One owner's signature of the SafeMessage below (0x…, 65 bytes), for example from "
                    "cast wallet sign --data of the typed data, with a Ledger or a keystore.")
WHOLE_HINT = "The signature Safe{Wallet} shows for a confirmed message (0x…), or 0x if the Safe signed on chain."
EMPTY = "Paste a signature, then send it."
EXPIRED = "The owners did not finish signing in time. Start again to get a new message."
USED = ("Enough owners have signed and the request was sent. The status token was shown once, to whoever sent "
        "the last signature: ask them for it to follow the request.")
RETRY = ("Enough owners have signed, but the Safe's own check of their signatures could not be made yet (the node "
         "did not answer). Nothing is lost: any owner who signed sends their signature again below, and the check "
         "is made again.")
