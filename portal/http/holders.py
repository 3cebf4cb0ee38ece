"""Holders' ownership-proof routes: challenge, proof, the holder's own view of the request, and the
holder's answer when staff asked for more information.

The status token travels only in the ``Authorization: Bearer`` header, never in a path or query
string, so it never lands in access logs, browser history or ``Referer`` headers.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.domain import answers, challenges, filing
from portal.domain.challenges import Challenge, NewChallenge, RequestMeta
from portal.domain.filing import HolderView, ProofOutcome, ProofSubmission, RequestAccess
from portal.domain.proofs.facts import DestinationChain, MessageStyle
from portal.domain.proofs.registry import PROOF_FIELDS, Method
from portal.errors import InvalidInputError
from portal.http.clients import client_host
from portal.http.deps import Ctx
from portal.http.problems import problem_responses

Address = Annotated[str, msgspec.Meta(max_length=100)]
ProofText = Annotated[str, msgspec.Meta(max_length=8192)]


AnswerText = Annotated[str, msgspec.Meta(min_length=1, max_length=answers.MAX_ANSWER_CHARS)]


class ChallengeCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``destination_chain`` defaults to the chain of the destination's address form; ``message_style``
    ``one_line`` (``solana`` only) asks for one printable-ASCII line a Ledger clear-signs. ``purpose``
    ``case`` proves ownership to open a case (``POST /v1/cases``) and accepts any well-formed address,
    in the snapshot or not; an ``allowlist`` challenge (the default) for an unlisted address is 422."""

    address: Address
    destination: Address
    method: Method
    destination_chain: DestinationChain | None = None
    message_style: MessageStyle = "standard"
    purpose: challenges.Purpose = "allowlist"


class ProofCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``challenge_id`` and exactly one of ``signature``, ``tx_hash`` or ``signed_transaction``.

    A ``solana_tx`` challenge takes ``signature`` (the fee payer's signature over the challenge's
    ``unsigned_transaction``, as Tangem's ``solana_signTransaction`` answers) or ``signed_transaction``."""

    challenge_id: uuid.UUID
    signature: ProofText | None = None
    tx_hash: ProofText | None = None
    signed_transaction: ProofText | None = None


class AnswerCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What staff asked for: ``text``, and when they asked for a new proof, ``challenge_id`` (of a fresh
    challenge for the same address and destination) with exactly one of the proof fields."""

    text: AnswerText
    challenge_id: uuid.UUID | None = None
    signature: ProofText | None = None
    tx_hash: ProofText | None = None
    signed_transaction: ProofText | None = None


def proof_of(data: ProofCreate | AnswerCreate, challenge_id: uuid.UUID) -> ProofSubmission:
    given = [name for name in PROOF_FIELDS if getattr(data, name) is not None]
    if len(given) != 1:
        raise InvalidInputError("send exactly one of signature, tx_hash or signed_transaction",
                                field=given[1] if len(given) > 1 else "signature")
    return ProofSubmission(challenge_id, data.signature, data.tx_hash, data.signed_transaction)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def request_uuid(request_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(request_id)
    except ValueError:
        return uuid.UUID(int=0)  # answered exactly like an unknown id


def access_of(request: Request[Any, Any, Any], request_id: str) -> RequestAccess:
    """The request id from the path and the status token from the ``Authorization`` header."""
    return RequestAccess(request_uuid(request_id), bearer_token(request))


def meta_of(request: Request[Any, Any, Any]) -> RequestMeta:
    return RequestMeta(client_address=client_host(request),
                       user_agent=(request.headers.get("user-agent") or "")[:300] or None)


@post("/v1/challenges", operation_id="createChallenge", tags=["holders"], status_code=HTTP_201_CREATED,
      summary="A message (or transaction) to sign with the snapshot address's key",
      description="eip1271 and transaction need the EVM node: without PORTAL_EVM_RPC_URL they are refused "
                  "here with 503 rpc_unavailable, before the holder signs anything; solana_onchain likewise needs "
                  "PORTAL_SOLANA_RPC_URL. After the signed policy's claim_deadline: 403 claim_window_closed with "
                  "the policy's sentence, unless it sends late requests to review.",
      responses=problem_responses(400, 403, 422, 429, 503))
async def create_challenge(ctx: Ctx, request: Request, data: JSONBody[ChallengeCreate]) -> Challenge:
    ask = NewChallenge(data.address, data.destination, data.method, data.destination_chain, data.message_style,
                       data.purpose)
    return await challenges.issue(ctx, ask, meta_of(request))


@post("/v1/proofs", operation_id="submitProof", tags=["holders"],
      summary="Submit the signed challenge: creates the request (201) or answers the address's live one (200)",
      responses=problem_responses(400, 404, 409, 410, 422, 429, 503))
async def submit_proof(ctx: Ctx, request: Request, data: JSONBody[ProofCreate]) -> Response[ProofOutcome]:
    outcome = await filing.submit(ctx, proof_of(data, data.challenge_id), meta_of(request))
    return Response(outcome, status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)


# The holder's view of their request (destination, amount, staff's note) is for them alone: no browser
# or proxy keeps a copy.
PRIVATE_VIEW = CacheControlHeader(no_store=True)


@get("/v1/requests/{request_id:str}", operation_id="getOwnRequest", tags=["holders"], cache_control=PRIVATE_VIEW,
     summary="The holder's own view of a request (Authorization: Bearer <status_token>)",
     responses=problem_responses(404))
async def get_own_request(
    ctx: Ctx, request: Request,
    request_id: str = Parameter(description="request id returned by POST /v1/proofs"),
) -> HolderView:
    return await filing.holder_view(ctx, access_of(request, request_id))


@post("/v1/requests/{request_id:str}/answer", operation_id="answerOwnRequest", tags=["holders"],
      status_code=HTTP_200_OK, cache_control=PRIVATE_VIEW,
      summary="Answer staff's question on a needs_info request (Authorization: Bearer <status_token>)",
      description="Puts the request back into the review queue (pending_review). Only a needs_info request "
                  "can be answered (409 otherwise). A new proof, when staff asked for one, is challenge_id "
                  "(of a fresh challenge for the same address and destination) plus exactly one of "
                  "signature, tx_hash or signed_transaction.",
      responses=problem_responses(400, 404, 409, 410, 422, 429, 503))
async def answer_own_request(
    ctx: Ctx, request: Request, data: JSONBody[AnswerCreate],
    request_id: str = Parameter(description="request id returned by POST /v1/proofs"),
) -> HolderView:
    proof = None
    if data.challenge_id is not None:
        proof = proof_of(data, data.challenge_id)
    elif any(getattr(data, name) is not None for name in PROOF_FIELDS):
        raise InvalidInputError("a new proof needs the challenge_id it answers", field="challenge_id")
    return await answers.answer(ctx, access_of(request, request_id), answers.AnswerSubmission(data.text, proof),
                                meta_of(request))


ROUTES = [create_challenge, submit_proof, get_own_request, answer_own_request]
RATE_LIMITED_PATHS = frozenset({"/v1/challenges", "/v1/proofs"})
