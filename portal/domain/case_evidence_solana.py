"""Evidence read from a Solana node for staff, beside a case: the address's token accounts at the snapshot slot.

Solana RPC cannot read an account's past state, so for a snapshot built from the chain (its ``source``
names ``mint`` and ``slot``), with ``PORTAL_SOLANA_RPC_URL``, each balance at the slot is rebuilt from
the account's transactions:

- the address's token accounts for the mint (``getTokenAccountsByOwner``, ``mint`` filter), and any
  token account of the address's for the mint that a given transaction touched (an account closed
  since the snapshot is no longer listed by the node);
- for each account, ``getSignaturesForAddress`` in pages of 1,000, newest first (``before`` the last
  one seen), down to the first successful transaction at or before the slot, then ``getTransaction``
  of that one: the account's ``postTokenBalances`` entry is its balance at the slot, and the slot it
  came from is reported (no entry: closed there, 0). An account with no transaction at or before the
  slot held 0 there when the oldest transaction the node has of it opened it (no ``preTokenBalances``
  entry); when it already held tokens then, the node's history does not reach the slot, and that is
  said. Failed transactions are skipped (they change no balance);
- each base58 signature the holder gave, from ``getTransaction``: the changes of the mint's balances on
  the address's token accounts (``pre``/``postTokenBalances``), each in a slot at or before the snapshot
  slot, or after it;
- an address off the ed25519 curve is flagged as a program-derived address (no key signs for it).

Every difference from the snapshot is one sentence; whatever could not be read is said. After the
node's first failure nothing more is asked of it (a node that is down costs one timeout, not one per
call) and what was left unread is said. Every call goes through ``RpcSolanaChain``: one attempt, the
RPC timeout, the ``portal_rpc_latency_seconds`` metric by method. At most ``MAX_PAGES`` pages of
history are read per account (50,000 transactions after the slot), and an account past that is said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from solders.pubkey import Pubkey

from portal.domain.cases_staff import CaseDetail, ChainEvidence, TokenAccountAtSlot, TransferSeen
from portal.domain.proofs.solana_onchain import SolanaChain, account_keys_of
from portal.errors import RpcUnavailableError

PAGE = 1000  # getSignaturesForAddress's largest page
MAX_PAGES = 50
T = TypeVar("T")
Changes = dict[str, dict[str, Any]]  # token account -> {"mint", "owner", "pre", "post"} (None: not a token account)


class _Unread(Exception):
    """The node failed on this read (said in ``not_checked``), or had failed before (nothing asked)."""


def program_derived(address: str) -> bool | None:
    """True for an address off the ed25519 curve (a PDA), None for one that is not a Solana key."""
    try:
        return not Pubkey.from_string(address).is_on_curve()
    except ValueError:
        return None


def token_changes(answer: dict[str, Any], signature: str) -> Changes:
    """Each token account of a ``getTransaction`` answer with its mint, owner and amounts before and after."""
    keys = account_keys_of(answer, signature)
    meta = answer.get("meta") if isinstance(answer.get("meta"), dict) else {}
    found: Changes = {}
    for side in ("pre", "post"):
        entries = meta.get(f"{side}TokenBalances")
        if not isinstance(entries, list):
            raise RpcUnavailableError(f"the Solana node's answer for transaction {signature} has no "
                                      f"{side}TokenBalances")
        for entry in entries:
            try:
                key, amount = keys[entry["accountIndex"]], int(entry["uiTokenAmount"]["amount"])
                row = found.setdefault(key, {"mint": str(entry["mint"]), "owner": entry.get("owner"),
                                             "pre": None, "post": None})
            except (KeyError, IndexError, TypeError, ValueError):
                raise RpcUnavailableError(f"the Solana node's answer for transaction {signature} has malformed "
                                          "token balances") from None
            row[side] = amount
    return found


class _Reader:
    def __init__(self, node: SolanaChain, detail: CaseDetail, mint: str, slot: int) -> None:
        self.node, self.address, self.mint, self.slot = node, detail.address, mint, slot
        self.failed = False
        self.differences: list[str] = []
        self.not_checked: list[str] = []
        self.unasked: list[str] = []
        self.transfers: list[TransferSeen] = []

    def ask(self, what: str, call: Callable[[], T]) -> T:
        if self.failed:
            self.unasked.append(what)
            raise _Unread
        try:
            return call()
        except RpcUnavailableError as exc:
            self.failed = True
            self.not_checked.append(f"{what[0].upper()}{what[1:]}: {exc.detail}.")
            raise _Unread from None

    def _listed(self, signature: str) -> Changes:
        answer = self.node.get_transaction(signature)
        if answer is None:
            raise RpcUnavailableError(f"the node lists transaction {signature} in the account's history but "
                                      "does not return it")
        return token_changes(answer, signature)

    def at_slot(self, account: str) -> TokenAccountAtSlot | None:
        """The account's balance at the snapshot slot, or None (said in ``not_checked``)."""
        before: str | None = None
        oldest: dict[str, Any] | None = None
        for _ in range(MAX_PAGES):
            page = self.ask(f"the history of token account {account}",
                            lambda b=before: self.node.signatures_for_address(account, before=b, limit=PAGE))
            for entry in page:
                if entry["slot"] <= self.slot and entry.get("err") is None:
                    row = self.ask(f"transaction {entry['signature']}", lambda s=entry["signature"]: self._listed(s))
                    return TokenAccountAtSlot(account, str((row.get(account) or {}).get("post") or 0), entry["slot"],
                                              entry["signature"])
            oldest = page[-1] if page else oldest
            if len(page) < PAGE:
                return self._before_history(account, oldest)
            before = page[-1]["signature"]
        self.not_checked.append(f"Token account {account} has more than {MAX_PAGES * PAGE:,} transactions after the "
                                f"snapshot slot {self.slot}: its balance at that slot was not rebuilt.")
        return None

    def _before_history(self, account: str, oldest: dict[str, Any] | None) -> TokenAccountAtSlot | None:
        if oldest is None:
            self.not_checked.append(f"The node has no transaction of token account {account}: its balance at the "
                                    f"snapshot slot {self.slot} could not be rebuilt.")
            return None
        row = self.ask(f"transaction {oldest['signature']}", lambda: self._listed(oldest["signature"])).get(account)
        if row is None or row["pre"] is None:  # opened after the slot: nothing at the slot
            return TokenAccountAtSlot(account, "0", None, None)
        after = f", after the snapshot slot {self.slot}" if oldest["slot"] > self.slot else ""
        self.not_checked.append(f"The node's history of token account {account} begins in slot {oldest['slot']}"
                                f"{after}, when it already held {row['pre']} base units: its balance at the snapshot "
                                "slot cannot be rebuilt from this node.")
        return None

    def given(self, signature: str, accounts: list[str]) -> list[str]:
        """Decode one transaction the holder gave; the address's token accounts for the mint it touched."""
        answer = self.ask(f"transaction {signature}", lambda: self.node.get_transaction(signature))
        if answer is None:
            self.differences.append(f"Transaction {signature} is not a finalized transaction on the cluster the "
                                    "node serves.")
            return []
        changes = self.ask(f"transaction {signature}", lambda: token_changes(answer, signature))
        slot = answer.get("slot") if isinstance(answer.get("slot"), int) else -1
        mine = {key: row for key, row in changes.items()
                if row["mint"] == self.mint and (row["owner"] == self.address or key in accounts)}
        moved = False
        for key, row in mine.items():
            delta = (row["post"] or 0) - (row["pre"] or 0)
            if delta == 0:
                continue
            moved = True
            others = ", ".join(k for k, r in changes.items() if r["mint"] == self.mint and k != key
                               and ((r["post"] or 0) - (r["pre"] or 0)) * delta < 0)
            sender, recipient = (others, key) if delta > 0 else (key, others)
            self.transfers.append(TransferSeen(signature, slot, sender, recipient, str(abs(delta)), slot <= self.slot))
            when = "at or before" if slot <= self.slot else "after"
            way = "to" if delta > 0 else "from"
            self.differences.append(f"Transaction {signature} moved {abs(delta)} base units {way} the address's token "
                                    f"account {key} in slot {slot}, {when} the snapshot slot {self.slot}.")
        if not moved:
            failed = (answer.get("meta") or {}).get("err")
            self.differences.append(f"Transaction {signature} failed on chain ({failed}) and moved nothing." if failed
                                    else f"Transaction {signature} moved none of the snapshot's token to or from the "
                                    "address's token accounts.")
        return [key for key, row in mine.items() if row["owner"] == self.address]


def _whence(held: TokenAccountAtSlot) -> str:
    if held.signature is None:
        return "it was opened after the slot"
    return f"from transaction {held.signature} in slot {held.slot}"


def _difference(slot: int, held: list[TokenAccountAtSlot], listed: int | None) -> str | None:
    total = sum(int(h.amount) for h in held)
    if total == (listed or 0):
        return None
    lists = f"the snapshot lists {listed}" if listed is not None else "the snapshot lists nothing for the address"
    if total < (listed or 0):
        lists += ", so a token account closed since the snapshot (the node no longer lists it) may hold the rest"
    if not held:
        return (f"The node lists no token account of the mint owned by the address, and no given transaction "
                f"names one; {lists}.")
    if len(held) == 1:
        return (f"At the snapshot slot {slot} the token account {held[0].account} held {held[0].amount} base units "
                f"({_whence(held[0])}); {lists}.")
    each = "; ".join(f"{h.account}: {h.amount}, {_whence(h)}" for h in held)
    return (f"At the snapshot slot {slot} the address's {len(held)} token accounts held {total} base units "
            f"({each}); {lists}.")


def read_solana(node: SolanaChain, detail: CaseDetail, mint: str, slot: int) -> ChainEvidence:
    """What the node says of the case's address at ``slot`` (blocking: run it off the event loop)."""
    reader = _Reader(node, detail, mint, slot)
    accounts: list[str] | None
    try:
        accounts = reader.ask("the address's token accounts (getTokenAccountsByOwner)",
                              lambda: node.token_accounts(detail.address, mint))
    except _Unread:
        accounts = None
    found = list(accounts or [])
    for signature in detail.evidence.get("transactions") or []:
        if signature.startswith("0x"):
            reader.not_checked.append(f"Transaction {signature} is an EVM transaction hash: not read for a Solana "
                                      "snapshot.")
            continue
        try:
            found += [key for key in reader.given(signature, found) if key not in found]
        except _Unread:
            continue
    held: list[TokenAccountAtSlot] = []
    for account in found:
        try:
            at = reader.at_slot(account)
        except _Unread:
            at = None
        if at is not None:
            held.append(at)
    complete = accounts is not None and len(held) == len(found)
    listed = int(detail.snapshot_amount) if detail.snapshot_amount is not None else None
    sentence = _difference(slot, held, listed) if complete else None
    if reader.unasked:
        reader.not_checked.append("Not asked after the node failed: " + "; ".join(reader.unasked) + ".")
    return ChainEvidence(slot, str(sum(int(h.amount) for h in held)) if complete else None, reader.transfers,
                         ([sentence] if sentence else []) + reader.differences, reader.not_checked, held,
                         program_derived(detail.address))


async def chain_evidence_solana(node: SolanaChain | None, detail: CaseDetail, source: dict[str, Any]) -> ChainEvidence:
    """The Solana half of ``case_evidence.chain_evidence`` (see the module docstring)."""
    slot, pda = source.get("slot"), program_derived(detail.address)
    if not source.get("mint") or not isinstance(slot, int):
        return ChainEvidence(None, None, [], [], ["The snapshot was built from a holder list, not from the chain: it "
                                                  "names no mint and slot to rebuild the token accounts at."],
                             program_derived=pda)
    if node is None:
        return ChainEvidence(slot, None, [], [], ["No Solana node is configured (PORTAL_SOLANA_RPC_URL): neither the "
                                                  "token accounts at the snapshot slot nor the transactions were "
                                                  "read."], program_derived=pda)
    return await asyncio.to_thread(read_solana, node, detail, str(source["mint"]), slot)
