"""Holders' read-only routes: which snapshots exist, and is an address in one."""

from __future__ import annotations

from litestar import Request, get
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response.base import ASGIResponse

import snapshot
from portal.domain.eligibility import Eligibility
from portal.http.problems import problem_responses


@get("/v1/snapshots", operation_id="listSnapshots", tags=["holders"], sync_to_thread=False,
     summary="Manifests of the loaded snapshots")
def list_snapshots(state: State) -> list[snapshot.Manifest]:
    return state.services.snapshots.manifests


@get("/v1/eligibility/{address:str}", operation_id="getEligibility", tags=["holders"], sync_to_thread=False,
     summary="Is this address in a snapshot, for how much, with which Merkle proof",
     responses={200: ResponseSpec(Eligibility, description="Request fulfilled, document follows",
                                 generate_examples=False),
                **problem_responses(400)})
def get_eligibility(
    request: Request,
    address: str = Parameter(description="EVM address (0x + 40 hex; mixed case must be EIP-55) or Solana "
                                         "public key (base58 of 32 bytes)"),
) -> ASGIResponse:
    # The hot path: no database, no dependency resolution, and the body arrives already encoded (the
    # domain's eligibility_json is byte-identical to encoding Eligibility), so the response is sent
    # as is rather than through Litestar's serialisation. The parser bounds the address's length.
    body = request.app.state.services.snapshots.eligibility_json(address)
    return ASGIResponse(body=body, media_type=MediaType.JSON)
