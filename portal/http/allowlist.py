"""``GET /v1/allowlist``: approved manual entries with their own Merkle root and proofs, per
destination chain (OpenZeppelin's tree for EVM, the merkle-distributor's for Solana).

Readable by any reviewing role (``reviewer``, ``approver``, ``admin``): it names holders and their
destinations, so it is not public, and the people who decided the entries may check the result.
Publishing the root on chain is the project's step, outside this service. Approved rows no release
can hold are left out of the tree and listed (``excluded`` in JSON, ``X-Allowlist-Excluded*``
headers in every format), never a 422 for the whole export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Response, get
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import Parameter

from portal.domain import allowlist
from portal.errors import InvalidInputError
from portal.http.auth import require_role
from portal.http.deps import Ctx
from portal.http.problems import problem_responses

CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text/* itself


@dataclass
class AllowlistOperation(Operation):
    """Documents the CSV form (``format=csv``) beside the JSON one in the 200 response."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {**(ok.content or {}), CSV_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.STRING,
                description="a header line, then one approved entry a line (EVM: snapshot address, "
                            "destination, amount, proof nodes joined by `:`; Solana: the distributor's leaf "
                            "fields); the root is in `X-Merkle-Root`"))}


@get("/v1/allowlist", operation_id="getAllowlist", tags=["staff"], guards=[require_role("reviewer")],
     summary=("Approved entries of a snapshot to one destination chain: an OpenZeppelin StandardMerkleTree "
              "for EVM, the merkle-distributor's tree for Solana (JSON, CSV or jup-ag's distributor JSON)"),
     operation_class=AllowlistOperation, responses=problem_responses(400, 401, 403, 404, 422))
async def get_allowlist(
    ctx: Ctx,
    snapshot_id: Annotated[str, Parameter(max_length=200, description="id of a loaded snapshot")],
    format: Annotated[Literal["json", "csv", "distributor-json"], Parameter(
        description="json (default), csv, or distributor-json (Solana only: jup-ag's AirdropMerkleTree file)",
    )] = "json",
    destination_chain: Annotated[Literal["evm", "solana"] | None, Parameter(
        description="the requests whose destination is on this chain (default: the first of "
                    "PORTAL_DESTINATION_CHAINS)")] = None,
) -> Response[allowlist.Allowlist | allowlist.DistributorAllowlist]:
    chain = destination_chain or ctx.settings.destination_chains[0]
    if format == "distributor-json" and chain != "solana":
        raise InvalidInputError("format: distributor-json is the Solana claim program's tree; ask for "
                                "destination_chain=solana", field="format")
    async with ctx.db.transaction() as conn:
        result = await allowlist.export(conn, ctx.snapshots, snapshot_id, destination_chain=chain,
                                        evm_chain_id=ctx.settings.evm_chain_id)
    headers = {"X-Merkle-Root": result.merkle_root or "", **_excluded_headers(result)}
    if format == "csv":
        return Response(allowlist.to_csv(result), media_type=CSV_MEDIA_TYPE,  # type: ignore[arg-type]
                        headers=headers)
    if format == "distributor-json":
        assert isinstance(result, allowlist.DistributorAllowlist)
        return Response(allowlist.to_distributor_json(result), media_type="application/json",  # type: ignore[arg-type]
                        headers=headers)
    return Response(result, headers=_excluded_headers(result))


def _excluded_headers(result: allowlist.Allowlist | allowlist.DistributorAllowlist) -> dict[str, str]:
    """The rows left out, for the formats with no room for them (CSV, the distributor's file): their
    count, and ``snapshot address=code`` pairs (the JSON form has each reason in words)."""
    if not result.excluded:
        return {}
    return {"X-Allowlist-Excluded": str(len(result.excluded)),
            "X-Allowlist-Excluded-Entries": ", ".join(f"{_header_safe(entry.snapshot_address)}={entry.code}"
                                                      for entry in result.excluded)}


def _header_safe(address: str) -> str:
    """An address is letters and digits; a stored row that is not never breaks the header."""
    return "".join(char for char in address if char.isascii() and char.isalnum())[:64]
