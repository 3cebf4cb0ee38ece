"""A Safe's owners sign one at a time: ``POST /v1/challenges/{id}/signatures``, and the progress ("k of threshold").

The challenge id is the capability: whoever holds it (the Safe's owners, to whom the holder sends the
link) can add an owner's signature and read the progress. Nothing here is secret: the owners, threshold
and signatures are public on chain or become so when the Safe uses them; the status token, shown once
to the owner whose signature files the request, is not repeated in later reads.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from portal.domain import safe_gather
from portal.domain.safe_gather import SafeProgress
from portal.http.deps import Ctx
from portal.http.holders import PRIVATE_VIEW, meta_of
from portal.http.problems import problem_responses

ChallengeId = Annotated[uuid.UUID, Parameter(description="challenge id returned by POST /v1/challenges (method safe)")]
OwnerSignatureText = Annotated[str, msgspec.Meta(min_length=1, max_length=8192)]


class SignatureCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One owner's signature of the challenge's SafeMessage: 65 bytes ``r ‖ s ‖ v`` (v 27/28 ECDSA of the typed
    data, 31/32 ``eth_sign``, 1 with the owner in ``r`` for a hash approved on chain), or a contract owner's
    part (v 0) followed by its dynamic part."""

    signature: OwnerSignatureText


@post("/v1/challenges/{challenge_id:uuid}/signatures", operation_id="addSafeSignature", tags=["holders"],
      status_code=HTTP_200_OK, cache_control=PRIVATE_VIEW,
      summary="Add one Safe owner's signature; files the request when the threshold is met",
      description="Only for a challenge of method safe. Each signature is checked for its kind against the "
                  "owners read at the challenge's recorded block: a non-owner is 422 signature_mismatch, a second "
                  "signature of the same owner 409 duplicate_signature. When signed reaches threshold, the Safe "
                  "itself is asked (isValidSignature, 0x1626ba7e or 0x20c13b0b) and the request is filed: the "
                  "answer then carries request (with its status_token, shown this once).",
      responses=problem_responses(400, 404, 409, 410, 422, 429, 503))
async def add_safe_signature(
    ctx: Ctx, request: Request, data: JSONBody[SignatureCreate],
    challenge_id: ChallengeId,
) -> SafeProgress:
    return await safe_gather.add_signature(ctx, challenge_id, data.signature, meta_of(request))


@get("/v1/challenges/{challenge_id:uuid}/signatures", operation_id="getSafeSignatures", tags=["holders"],
     cache_control=PRIVATE_VIEW, summary="Where a safe challenge stands: k of threshold, per owner",
     responses=problem_responses(400, 404))
async def get_safe_signatures(
    ctx: Ctx,
    challenge_id: ChallengeId,
) -> SafeProgress:
    return await safe_gather.progress(ctx, challenge_id)


ROUTES = [add_safe_signature, get_safe_signatures]
RATE_LIMITED_PATHS = frozenset({"/v1/challenges/*/signatures"})
