"""What a use case needs from the running app, in one object: ``UseCaseContext``.

Handlers receive it by Litestar dependency injection (``portal.http.deps``, key ``ctx``) and pass it,
with one request Struct, to a use case. A use case takes the context, its request and at most a few
plain values (``ruff``'s ``max-args`` holds ``portal/domain`` to six parameters).

The transaction rule, written once:

- A use case that only reads or writes the database takes a ``Connection`` inside the caller's
  transaction (``async with ctx.db.transaction() as conn``), so one request is one transaction.
- A use case that must ask a node (the EVM RPC for ``eip1271`` and ``transaction`` proofs, the Solana
  RPC for ``solana_onchain``) takes the context and opens its own transactions around the call, never
  across it: a node that hangs for its timeout must not hold a row lock or a pooled connection. Those
  are ``challenges.issue``, ``filing.submit`` and ``answers.answer``.

Nothing here is mutable: the lifespan builds one context per app; tests build their own with a
``ManualClock`` or an in-process node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from portal.domain.eligibility import SnapshotSet
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.settings import Settings
from portal.store.database import Database

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class UseCaseContext:
    """The database, the loaded snapshots, the settings, the clock and the nodes (``None`` when not
    configured: a use case that needs one raises ``RpcNotConfiguredError``)."""

    db: Database
    snapshots: SnapshotSet
    settings: Settings
    clock: Clock = utc_now
    evm_node: EvmChain | None = None
    solana_node: SolanaChain | None = None

    def now(self) -> dt.datetime:
        return self.clock()
