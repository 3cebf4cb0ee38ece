"""Holders' read-only routes: which snapshots exist, and is an address in one."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter

from portal.domain.eligibility import Eligibility
from portal.http.fast.encoded_json import CacheableJson, cache_control, strong_etag
from portal.http.problems import problem_responses
from snapshot.artifact import PublicManifest

ADDRESS_DESCRIPTION = ("EVM address (0x + 40 hex; mixed case must be EIP-55) or Solana public key (base58 of "
                       "32 bytes)")


@dataclass
class EligibilityOperation(Operation):
    """Describes the ``address`` path parameter, which ``get_eligibility`` reads from the path instead
    of declaring it (a declared parameter passes through Litestar's signature model, ~1 µs a request)."""

    def __post_init__(self) -> None:
        for parameter in self.parameters or ():
            if isinstance(parameter, OpenAPIParameter) and parameter.name == "address":
                parameter.description = ADDRESS_DESCRIPTION
                if isinstance(parameter.schema, Schema):
                    parameter.schema.description = ADDRESS_DESCRIPTION


@get("/v1/snapshots", operation_id="listSnapshots", tags=["holders"], sync_to_thread=False,
     summary="Manifests of the loaded snapshots (no server paths)")
def list_snapshots(state: State) -> list[PublicManifest]:
    return state.runtime.snapshots.public_manifests


@get("/v1/eligibility/{address:str}", operation_id="getEligibility", tags=["holders"], sync_to_thread=False,
     summary="Is this address in a snapshot, for how much, with which Merkle proof",
     operation_class=EligibilityOperation,
     description=("Immutable for the loaded snapshots: sent with a strong ETag and `Cache-Control: public, "
                  "max-age=N, immutable`; a request with a matching `If-None-Match` gets 304 with no body."),
     responses={200: ResponseSpec(Eligibility, description="Request fulfilled, document follows",
                                 generate_examples=False),
                304: ResponseSpec(None, description="Not modified: the ETag in If-None-Match is current"),
                **problem_responses(400)})
def get_eligibility(request: Request) -> CacheableJson:
    # The hot path: no database, no dependency resolution, no signature model (the address is read
    # from the path parameters as text; the domain parses it and bounds its length), and the body
    # arrives already encoded (eligibility_json is byte-identical to encoding Eligibility), so it is
    # sent as is rather than through Litestar's serialisation and response classes. An answer is
    # fixed by the loaded snapshots and destinations, so it is cacheable: strong ETag, immutable.
    runtime = request.app.state.runtime
    snapshots = runtime.snapshots
    body = snapshots.eligibility_json(request.path_params["address"])
    return CacheableJson(body, strong_etag(snapshots.etag_key, body),
                         cache_control(runtime.settings.eligibility_max_age_seconds))
