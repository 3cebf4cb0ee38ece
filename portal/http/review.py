"""Staff routes of the review queue: list, claim, evidence, decide (see ``portal.domain.review``)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from portal.domain import review
from portal.http.auth import Staff, require_role
from portal.http.problems import problem_responses
from portal.services import Services

MAX_TEXT_CHARS = 2000
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
RequestId = Annotated[uuid.UUID, Parameter(description="the request's id")]


class DecisionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A lease holder's decision; ``reason`` is required for reject and needs_info.

    ``reason`` goes to the audit log only; ``public_note`` is shown to the holder.
    """

    decision: review.Decision
    reason: Text | None = None
    public_note: Text | None = None


class DecisionResult(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    status: str


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@get("/v1/review/requests", operation_id="listReviewQueue", tags=["staff"], guards=[require_role("reviewer")],
     summary="The review queue, oldest first, keyset-paginated", responses=problem_responses(400, 401, 403))
async def list_queue(
    state: State,
    status: Annotated[review.Status | None, Parameter(description="one status; default: every open one")] = None,
    limit: Annotated[int, Parameter(ge=1, le=500, description="page size")] = 50,
    cursor: Annotated[str | None, Parameter(max_length=200, description="next_cursor of the previous page")] = None,
) -> review.QueuePage:
    services: Services = state.services
    async with services.db.transaction() as conn:
        return await review.queue_page(conn, status=status, limit=limit, cursor=cursor)


@post("/v1/review/claim", operation_id="claimReviewRequest", tags=["staff"], guards=[require_role("reviewer")],
      summary="Lease the oldest claimable request to the caller (204 when none)", status_code=HTTP_200_OK,
      responses={204: ResponseSpec(None, description="no request is waiting to be claimed", generate_examples=False),
                 **problem_responses(401, 403)})
async def claim(state: State, request: Request, staff: Staff) -> Response[review.RequestDetail | None]:
    services: Services = state.services
    settings = services.settings
    async with services.db.transaction() as conn:
        detail = await review.claim_next(conn, staff, at=services.clock(), lease_seconds=settings.review_lease_seconds,
                                         snapshots=services.snapshots, threshold=settings.four_eyes_threshold,
                                         client=_client(request))
    if detail is None:
        return Response(None, status_code=HTTP_204_NO_CONTENT)
    return Response(detail, status_code=HTTP_200_OK)


@get("/v1/review/requests/{request_id:uuid}", operation_id="getReviewRequest", tags=["staff"],
     guards=[require_role("reviewer")], summary="All evidence of one request, with risk flags",
     responses=problem_responses(401, 403, 404))
async def get_request(
    state: State,
    request_id: RequestId,
) -> review.RequestDetail:
    services: Services = state.services
    async with services.db.transaction() as conn:
        return await review.request_detail(conn, request_id, snapshots=services.snapshots,
                                           threshold=services.settings.four_eyes_threshold)


@post("/v1/review/requests/{request_id:uuid}/decision", operation_id="decideReviewRequest", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Approve, reject or ask for information (lease holder only)",
      responses=problem_responses(400, 401, 403, 404, 409))
async def decide(
    state: State,
    request: Request,
    staff: Staff,
    data: JSONBody[DecisionCreate],
    request_id: RequestId,
) -> DecisionResult:
    services: Services = state.services
    async with services.db.transaction() as conn:
        status = await review.decide(conn, staff, request_id, data.decision, reason=data.reason,
                                     public_note=data.public_note, at=services.clock(),
                                     threshold=services.settings.four_eyes_threshold, client=_client(request))
    return DecisionResult(request_id, str(status))
