"""What a running app holds for its whole life: created by the lifespan, closed by it.

This is the only long-lived state: one ``Services`` per app, stored on ``app.state.services`` and
handed to handlers by dependency injection. Tests build apps with their own clock or chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.domain.eligibility import SnapshotSet
from portal.domain.jwt_auth import JwtVerifier
from portal.domain.policy_roots import Anchor
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.domain.readiness import ReadinessCheck
from portal.settings import Settings
from portal.store.database import Database

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    snapshots: SnapshotSet
    clock: Clock = utc_now
    readiness_checks: list[tuple[str, ReadinessCheck]] = field(default_factory=list)
    jwt_verifier: JwtVerifier | None = None
    policy_root: Anchor | None = None  # PORTAL_POLICY_ROOT: where the served root history starts
    evm_chain: EvmChain | None = None
    solana_chain: SolanaChain | None = None
