"""Holders' ownership-proof routes: challenge, proof, and the holder's own view of the request."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.domain import challenges, requests
from portal.domain.challenges import Challenge, RequestMeta
from portal.domain.proofs.facts import Method
from portal.domain.requests import HolderView, ProofOutcome, ProofSubmission
from portal.errors import InvalidInputError
from portal.http.problems import problem_responses
from portal.services import Services

Address = Annotated[str, msgspec.Meta(max_length=100)]
ProofText = Annotated[str, msgspec.Meta(max_length=8192)]
PROOF_FIELDS = ("signature", "tx_hash", "signed_transaction")


class ChallengeCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: Address
    destination: Address
    method: Method


class ProofCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``challenge_id`` and exactly one of ``signature``, ``tx_hash`` or ``signed_transaction``."""

    challenge_id: uuid.UUID
    signature: ProofText | None = None
    tx_hash: ProofText | None = None
    signed_transaction: ProofText | None = None


def meta_of(request: Request[Any, Any, Any]) -> RequestMeta:
    return RequestMeta(client_address=request.client.host if request.client else None,
                       user_agent=(request.headers.get("user-agent") or "")[:300] or None)


@post("/v1/challenges", operation_id="createChallenge", tags=["holders"], status_code=HTTP_201_CREATED,
      summary="A message (or transaction recipe) to sign with the snapshot address's key",
      responses=problem_responses(400, 422, 429, 503))
async def create_challenge(state: State, request: Request, data: JSONBody[ChallengeCreate]) -> Challenge:
    services: Services = state.services
    return await challenges.issue(services.db, snapshots=services.snapshots, settings=services.settings,
                                  now=services.clock(), address=data.address, destination=data.destination,
                                  method=data.method, meta=meta_of(request), solana_chain=services.solana_chain)


@post("/v1/proofs", operation_id="submitProof", tags=["holders"],
      summary="Submit the signed challenge: creates the request (201) or answers the address's live one (200)",
      responses=problem_responses(400, 404, 409, 410, 422, 429, 503))
async def submit_proof(state: State, request: Request, data: JSONBody[ProofCreate]) -> Response[ProofOutcome]:
    given = [name for name in PROOF_FIELDS if getattr(data, name) is not None]
    if len(given) != 1:
        raise InvalidInputError("send exactly one of signature, tx_hash or signed_transaction",
                                field=given[1] if len(given) > 1 else "signature")
    services: Services = state.services
    outcome = await requests.submit(
        services.db, ProofSubmission(data.challenge_id, data.signature, data.tx_hash, data.signed_transaction),
        snapshots=services.snapshots, settings=services.settings, chain=services.evm_chain, now=services.clock(),
        meta=meta_of(request), solana_chain=services.solana_chain)
    return Response(outcome, status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)


@get("/v1/requests/{request_id:str}", operation_id="getOwnRequest", tags=["holders"],
     summary="The holder's own view of a request (Authorization: Bearer <status_token>)",
     responses=problem_responses(404))
async def get_own_request(
    state: State, request: Request,
    request_id: str = Parameter(description="request id returned by POST /v1/proofs"),
) -> HolderView:
    services: Services = state.services
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    try:
        parsed = uuid.UUID(request_id)
    except ValueError:
        parsed = uuid.UUID(int=0)  # answered exactly like an unknown id
    return await requests.holder_view(services.db, parsed, token.strip() if scheme.lower() == "bearer" else None)


ROUTES = [create_challenge, submit_proof, get_own_request]
RATE_LIMITED_PATHS = frozenset({"/v1/challenges", "/v1/proofs"})
