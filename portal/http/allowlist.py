"""``GET /v1/allowlist``: approved manual entries with their own Merkle root and proofs, per
destination chain (OpenZeppelin's tree for EVM, the merkle-distributor's for Solana).

Readable by any reviewing role (``reviewer``, ``approver``, ``admin``): it names holders and their
destinations, so it is not public, and the people who decided the entries may check the result.
Publishing the root on chain is the project's step, outside this service.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import Parameter

from portal.domain import allowlist
from portal.errors import InvalidInputError
from portal.http.auth import require_role
from portal.http.problems import problem_responses
from portal.services import Services

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@get("/v1/allowlist", operation_id="getAllowlist", tags=["staff"], guards=[require_role("reviewer")],
     summary=("Approved entries of a snapshot to one destination chain: an OpenZeppelin StandardMerkleTree "
              "for EVM, the merkle-distributor's tree for Solana (JSON, CSV or jup-ag's distributor JSON)"),
     responses=problem_responses(400, 401, 403, 404, 422))
async def get_allowlist(
    state: State,
    snapshot_id: Annotated[str, Parameter(max_length=200, description="id of a loaded snapshot")],
    format: Annotated[Literal["json", "csv", "distributor-json"], Parameter(
        description="json (default), csv, or distributor-json (Solana only: jup-ag's AirdropMerkleTree file)",
    )] = "json",
    destination_chain: Annotated[Literal["evm", "solana"] | None, Parameter(
        description="the requests whose destination is on this chain (default: the first of "
                    "PORTAL_DESTINATION_CHAINS)")] = None,
) -> Response[allowlist.Allowlist | allowlist.DistributorAllowlist]:
    services: Services = state.services
    chain = destination_chain or services.settings.destination_chains[0]
    if format == "distributor-json" and chain != "solana":
        raise InvalidInputError("format: distributor-json is the Solana claim program's tree; ask for "
                                "destination_chain=solana", field="format")
    async with services.db.transaction() as conn:
        result = await allowlist.export(conn, services.snapshots, snapshot_id, destination_chain=chain)
    if format == "csv":
        return Response(allowlist.to_csv(result), media_type=CSV_MEDIA_TYPE,  # type: ignore[arg-type]
                        headers={"X-Merkle-Root": result.merkle_root or ""})
    if format == "distributor-json":
        assert isinstance(result, allowlist.DistributorAllowlist)
        return Response(allowlist.to_distributor_json(result), media_type="application/json",  # type: ignore[arg-type]
                        headers={"X-Merkle-Root": result.merkle_root or ""})
    return Response(result)
