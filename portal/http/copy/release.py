"""What a holder reads next on ``/requests/{id}`` once their request is approved: the release to claim
from, or that they wait for one. Words only; the numbers come from ``filing.HolderView.release``.

Why spelled out: "approved, your destination is on the allowlist" and nothing else sent holders back
to the chat server to ask when, where and how to claim, which is where the impersonators wait.
"""

from __future__ import annotations

import json

from portal.domain.amounts import chain_label, token_units
from portal.domain.release_reads import HolderRelease

_TIME = "%H:%M UTC on %d %B %Y"
WAITING = ("Approved. Your tokens are released in batches: staff publish a signed release of the approvals "
           "made since the last one, and this page then shows the contract to claim from, your proof and the "
           "deadline. Published releases are listed at /v1/releases.")


def amount_words(release: HolderRelease) -> str:
    return f"{token_units(int(release.amount), release.decimals)} tokens ({release.amount} base units)"


def claim_sentence(release: HolderRelease) -> str:
    deadline = f", before {release.claim_deadline.strftime(_TIME)}" if release.claim_deadline else ""
    chain_id = f" (chain id {release.chain_id}, and no other)" if release.chain_id is not None else ""
    return (f"In release {release.number}: claim {amount_words(release)} on {chain_label(release.destination_chain)}"
            f"{chain_id} "
            f"from contract {release.distributor} with your destination wallet, through the claim link of the "
            f"signed official policy{deadline}. Check that the contract is the one the signed release names.")


def claim_command(release: HolderRelease, destination: str) -> str:
    """The exact call for a wallet that can send transactions (Foundry's ``cast``), or the Solana
    distributor's instruction and its arguments."""
    proof = json.dumps(release.proof, separators=(",", ":"))
    if release.destination_chain == "evm":
        return (f'cast send {release.distributor} "claim(uint256,address,uint256,bytes32[])" {release.index} '
                f"{destination} {release.amount} '{proof}' --rpc-url <your RPC URL>"
                + (f" --chain {release.chain_id}" if release.chain_id is not None else "") + " --interactive")
    return (f"new_claim on program {release.program}, distributor {release.distributor} "
            f"(airdrop_version {release.number}): "
            f"amount_unlocked {release.amount}, amount_locked 0, proof {proof}, signed by {destination}")


def claimed_sentence(release: HolderRelease) -> str:
    assert release.claimed_at is not None
    if release.claim_tx is None:  # Solana: the ClaimStatus account says claimed, not when or by which transaction
        return (f"Claimed: the distributor holds your claim of {amount_words(release)} (first seen on the chain at "
                f"{release.claimed_at.strftime(_TIME)}).")
    return (f"Claimed on {release.claimed_at.strftime(_TIME)}: {amount_words(release)} went to your destination "
            f"in transaction {release.claim_tx}.")


def freshness(release: HolderRelease) -> str:
    """How current the claim status is (a node that is down only makes it older)."""
    if release.claim_status_as_of is None:
        return "Whether this entry has been claimed has not been read from the chain yet."
    return f"Claim status read from the chain at {release.claim_status_as_of.strftime(_TIME)}."
