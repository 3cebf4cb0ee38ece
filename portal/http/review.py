"""Staff routes of the review queue: list and search, claim (next or chosen), release, escalate, evidence,
decide, reopen (see ``portal.domain.review``: ``queue``, ``leases``, ``evidence``, ``decisions``).

The console (``portal.http.console``) calls the same domain functions; nothing here holds a rule.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from portal.domain.proofs.registry import Method
from portal.domain.review import decisions, evidence, leases, queue, states
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.deps import Ctx
from portal.http.problems import problem_responses

MAX_TEXT_CHARS = 2000
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
RequestId = Annotated[uuid.UUID, Parameter(description="the request's id")]


class DecisionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A lease holder's decision; ``reason`` is required for reject and needs_info.

    ``reason`` goes to the audit log only; ``public_note`` is shown to the holder.
    """

    decision: states.Decision
    reason: Text | None = None
    public_note: Text | None = None


class DecisionResult(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    status: str



@get("/v1/review/requests", operation_id="listReviewQueue", tags=["staff"], guards=[require_role("reviewer")],
     summary="The review queue, oldest first, filtered or searched, keyset-paginated",
     responses=problem_responses(400, 401, 403))
async def list_queue(
    ctx: Ctx,
    status: Annotated[states.Status | None, Parameter(
        description="one status; default: every open one (every status when searching)")] = None,
    method: Annotated[Method | None, Parameter(description="proof method")] = None,
    chain: Annotated[Literal["evm", "solana"] | None, Parameter(description="the snapshot address's chain")] = None,
    risk: Annotated[queue.RiskFilter | None, Parameter(description="only requests with this risk flag")] = None,
    older_than_hours: Annotated[int | None, Parameter(ge=0, le=queue.MAX_AGE_HOURS,
                                                      description="only requests older than this")] = None,
    q: Annotated[str | None, Parameter(max_length=queue.MAX_SEARCH_CHARS,
                                       description="search: snapshot address, destination or request id")] = None,
    limit: Annotated[int, Parameter(ge=1, le=500, description="page size")] = 50,
    cursor: Annotated[str | None, Parameter(max_length=200, description="next_cursor of the previous page")] = None,
) -> queue.QueuePage:
    query = queue.QueueQuery(status=status, method=method, chain=chain, risk=risk,
                             older_than_hours=older_than_hours, search=q)
    async with ctx.db.transaction() as conn:
        return await queue.queue_page(conn, ctx, query, limit=limit, cursor=cursor)


CLAIM_RESPONSES = {
    HTTP_200_OK: ResponseSpec(data_container=evidence.RequestDetail, description="the leased request"),
    HTTP_204_NO_CONTENT: ResponseSpec(data_container=None, description="nothing in the queue for the caller"),
    **problem_responses(401, 403),
}


@post("/v1/review/claim", operation_id="claimReviewRequest", tags=["staff"], guards=[require_role("reviewer")],
      status_code=HTTP_200_OK, summary="Lease the oldest claimable request to the caller: 200 with it, 204 when none",
      responses=CLAIM_RESPONSES)
async def claim(ctx: Ctx, request: Request, staff: Staff) -> Response[evidence.RequestDetail | None]:
    async with ctx.db.transaction() as conn:
        detail = await leases.claim_next(conn, ctx, staff, client=client_host(request))
    if detail is None:
        return Response(None, status_code=HTTP_204_NO_CONTENT)
    return Response(detail, status_code=HTTP_200_OK)


@post("/v1/review/requests/{request_id:uuid}/claim", operation_id="claimChosenReviewRequest", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Lease this request to the caller (409 when another holds it; 403 above the four-eyes "
              "threshold or escalated, for non-approvers)",
      responses=problem_responses(401, 403, 404, 409))
async def claim_chosen(ctx: Ctx, request: Request, staff: Staff,
                       request_id: RequestId) -> evidence.RequestDetail:
    async with ctx.db.transaction() as conn:
        return await leases.claim(conn, ctx, staff, request_id, client=client_host(request))


class ReasonCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Why: written to the audit log."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS)]


@post("/v1/review/requests/{request_id:uuid}/release", operation_id="releaseReviewRequest", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_204_NO_CONTENT,
      summary="Give back the caller's lease: the request returns to the queue",
      responses=problem_responses(401, 403, 404, 409))
async def release(ctx: Ctx, request: Request, staff: Staff, request_id: RequestId) -> None:
    async with ctx.db.transaction() as conn:
        await leases.release(conn, ctx, staff, request_id, client=client_host(request))


@post("/v1/review/requests/{request_id:uuid}/escalate", operation_id="escalateReviewRequest", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_204_NO_CONTENT,
      summary="Hand a pending request to the approvers (only they are offered it from now on)",
      responses=problem_responses(400, 401, 403, 404, 409))
async def escalate(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[ReasonCreate],
                   request_id: RequestId) -> None:
    async with ctx.db.transaction() as conn:
        await decisions.escalate(conn, ctx, staff, request_id, data.reason, client=client_host(request))


@post("/v1/review/requests/{request_id:uuid}/reopen", operation_id="reopenReviewRequest", tags=["staff"],
      guards=[require_role("admin")], status_code=HTTP_200_OK,
      summary="Put a rejected or parked (needs_info) request back into the queue (admin)",
      responses=problem_responses(400, 401, 403, 404, 409))
async def reopen(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[ReasonCreate],
                 request_id: RequestId) -> DecisionResult:
    async with ctx.db.transaction() as conn:
        status = await decisions.reopen(conn, ctx, staff, request_id, data.reason, client=client_host(request))
    return DecisionResult(request_id, str(status))


@get("/v1/review/requests/{request_id:uuid}", operation_id="getReviewRequest", tags=["staff"],
     guards=[require_role("reviewer")], summary="All evidence of one request, with risk flags",
     responses=problem_responses(401, 403, 404))
async def get_request(
    ctx: Ctx,
    request_id: RequestId,
) -> evidence.RequestDetail:
    async with ctx.db.transaction() as conn:
        return await evidence.request_detail(conn, ctx, request_id)


@post("/v1/review/requests/{request_id:uuid}/decision", operation_id="decideReviewRequest", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Approve, reject or ask for information (lease holder only)",
      responses=problem_responses(400, 401, 403, 404, 409, 422))
async def decide(
    ctx: Ctx,
    request: Request,
    staff: Staff,
    data: JSONBody[DecisionCreate],
    request_id: RequestId,
) -> DecisionResult:
    command = decisions.DecisionCommand(request_id, data.decision, data.reason, data.public_note)
    async with ctx.db.transaction() as conn:
        status = await decisions.decide(conn, ctx, staff, command, client=client_host(request))
    return DecisionResult(request_id, str(status))
