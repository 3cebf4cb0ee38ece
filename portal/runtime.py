"""What a running app holds for its whole life: created by the lifespan, closed by it.

This is the only long-lived state: one ``Runtime`` per app, stored on ``app.state.runtime`` and
handed to handlers by dependency injection. Tests build apps with their own clock or chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.domain.audit_keys import AuditKey
from portal.domain.context import Clock, UseCaseContext, utc_now
from portal.domain.eligibility import SnapshotSet
from portal.domain.jwt_auth import JwtVerifier
from portal.domain.policy_roots import Anchor
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.domain.readiness import ReadinessCheck
from portal.settings import Settings
from portal.store.database import Database
from portal.store.limits import Limiter

__all__ = ["Clock", "Runtime", "utc_now"]


@dataclass
class Runtime:
    """The app's resources for its lifetime. Use cases get ``ctx`` (``portal.http.deps``); the rest
    (readiness checks, the JWT verifier, the policy's trust anchor, the audit key's public half for
    the checkpoint feed and its signing half for the checkpointer) serve the HTTP edge only."""

    settings: Settings
    db: Database
    snapshots: SnapshotSet
    audit_key: AuditKey
    clock: Clock = utc_now
    readiness_checks: list[tuple[str, ReadinessCheck]] = field(default_factory=list)
    jwt_verifier: JwtVerifier | None = None
    policy_root: Anchor | None = None  # PORTAL_POLICY_ROOT: where the served root history starts
    evm_chain: EvmChain | None = None
    solana_chain: SolanaChain | None = None
    limiter: Limiter | None = None  # the rate limits' counters (``portal.http.fast.throttle``)
    ctx: UseCaseContext = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = UseCaseContext(db=self.db, snapshots=self.snapshots, settings=self.settings, clock=self.clock,
                                  evm_node=self.evm_chain, solana_node=self.solana_chain)
