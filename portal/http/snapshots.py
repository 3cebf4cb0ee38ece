"""Holders' read-only routes: which snapshots exist, and is an address in one."""

from __future__ import annotations

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import Parameter

import snapshot
from portal.domain.eligibility import Eligibility
from portal.http.problems import problem_responses


@get("/v1/snapshots", operation_id="listSnapshots", tags=["holders"], sync_to_thread=False,
     summary="Manifests of the loaded snapshots")
def list_snapshots(state: State) -> list[snapshot.Manifest]:
    return state.services.snapshots.manifests


@get("/v1/eligibility/{address:str}", operation_id="getEligibility", tags=["holders"], sync_to_thread=False,
     summary="Is this address in a snapshot, for how much, with which Merkle proof",
     responses=problem_responses(400))
def get_eligibility(
    request: Request,
    address: str = Parameter(description="EVM address (0x + 40 hex; mixed case must be EIP-55) or Solana "
                                         "public key (base58 of 32 bytes)"),
) -> Eligibility:
    # The hot path: no database, no dependency resolution; the parser bounds the address's length.
    return request.app.state.services.snapshots.eligibility(address)
