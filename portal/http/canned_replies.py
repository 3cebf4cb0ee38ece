"""Canned replies over JSON: staff who work cases list them; admins add, edit and delete them (issue 23).

``GET /v1/review/canned-replies`` for the ``reviewer`` role (approvers and admins hold it too);
``POST /v1/admin/canned-replies``, ``PUT`` and ``DELETE /v1/admin/canned-replies/{id}`` for admins.
A reply is sent into a case with ``POST /v1/review/cases/{id}/canned-reply`` ``{canned_reply_id}``.
Rules live in ``portal.domain.canned_replies``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, delete, get, post, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from portal.domain import canned_replies
from portal.domain.canned_replies import CannedReply, CannedReplyDraft
from portal.http.auth import Staff, require_role
from portal.http.cases import WORDS_PATTERN
from portal.http.clients import client_host
from portal.http.deps import Ctx
from portal.http.problems import problem_responses

ReplyId = Annotated[uuid.UUID, Parameter(description="the canned reply's id")]
_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"
#: One line of words: no control character at all (tab and line breaks included), not only spaces.
ONE_LINE_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=canned_replies.MAX_TITLE_CHARS,
                                    pattern=ONE_LINE_PATTERN)]
ReplyText = Annotated[str, msgspec.Meta(min_length=1, max_length=canned_replies.MAX_REPLY_CHARS, pattern=WORDS_PATTERN)]


class CannedReplyWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A title staff pick the reply by (unique) and the text the holder reads."""

    title: Title
    text: ReplyText


@get("/v1/review/canned-replies", operation_id="listCannedReplies", tags=["staff"], guards=[require_role("reviewer")],
     summary="The canned replies admins keep, by title, for staff who work cases",
     responses=problem_responses(401, 403))
async def list_canned_replies(ctx: Ctx, staff: Staff) -> list[CannedReply]:
    async with ctx.db.transaction() as conn:
        return await canned_replies.listing(conn, staff)


@post("/v1/admin/canned-replies", operation_id="createCannedReply", tags=["staff"], guards=[require_role("admin")],
      status_code=HTTP_201_CREATED, summary="Add a canned reply (admins; audited)",
      responses=problem_responses(400, 401, 403, 409))
async def create_canned_reply(ctx: Ctx, request: Request, staff: Staff,
                              data: JSONBody[CannedReplyWrite]) -> CannedReply:
    async with ctx.db.transaction() as conn:
        return await canned_replies.create(conn, ctx, staff, CannedReplyDraft(data.title, data.text),
                                           client=client_host(request))


@put("/v1/admin/canned-replies/{reply_id:uuid}", operation_id="updateCannedReply", tags=["staff"],
     guards=[require_role("admin")], summary="Change a canned reply's title and text (admins; audited)",
     responses=problem_responses(400, 401, 403, 404, 409))
async def update_canned_reply(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[CannedReplyWrite],
                              reply_id: ReplyId) -> CannedReply:
    async with ctx.db.transaction() as conn:
        return await canned_replies.update(conn, ctx, staff, reply_id, CannedReplyDraft(data.title, data.text),
                                           client_host(request))


@delete("/v1/admin/canned-replies/{reply_id:uuid}", operation_id="deleteCannedReply", tags=["staff"],
        guards=[require_role("admin")], status_code=HTTP_204_NO_CONTENT,
        summary="Delete a canned reply (admins; audited); replies already sent stay in their threads",
        responses=problem_responses(401, 403, 404))
async def delete_canned_reply(ctx: Ctx, request: Request, staff: Staff, reply_id: ReplyId) -> None:
    async with ctx.db.transaction() as conn:
        await canned_replies.delete(conn, ctx, staff, reply_id, client=client_host(request))


ROUTES = [list_canned_replies, create_canned_reply, update_canned_reply, delete_canned_reply]
