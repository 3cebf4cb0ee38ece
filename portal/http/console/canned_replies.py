"""``/staff/admin/canned-replies``: the canned replies admins keep (list, add, edit, delete).

The same domain functions as ``/v1/admin/canned-replies`` (admins only; every change audited with the
console session); staff pick one on a case's page (``portal.http.cases_console``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import canned_replies
from portal.domain.canned_replies import CannedReply, CannedReplyDraft
from portal.errors import ConflictError, InvalidInputError, NotFoundError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.session import require_admin
from portal.http.console.sign_in import CONSOLE, ConsoleStaff
from portal.http.deps import Ctx
from portal.http.pages.view_models import FieldError

LIST_PATH = "/staff/admin/canned-replies"
ReplyId = Annotated[uuid.UUID, Parameter(description="the canned reply's id")]
NOTICES = {"added": "Canned reply added: staff can pick it on a case's page.", "saved": "Canned reply saved.",
           "deleted": "Canned reply deleted. Replies already sent stay in their threads."}


class CannedRepliesView(msgspec.Struct, frozen=True):
    replies: list[CannedReply]
    notice: str = ""
    errors: tuple[FieldError, ...] = ()
    form: dict[str, str] = msgspec.field(default_factory=dict)


class CannedReplyView(msgspec.Struct, frozen=True):
    reply: CannedReply
    errors: tuple[FieldError, ...] = ()
    form: dict[str, str] = msgspec.field(default_factory=dict)


def _kept(form: Any) -> dict[str, str]:
    return {"title": str(form.get("title") or "")[:canned_replies.MAX_TITLE_CHARS * 2],
            "text": str(form.get("text") or "")[:canned_replies.MAX_REPLY_CHARS * 2]}


def _draft(form: Any) -> CannedReplyDraft:
    title = form_text(form, "title", max_chars=canned_replies.MAX_TITLE_CHARS, required="Give the reply a title")
    text = form_text(form, "text", max_chars=canned_replies.MAX_REPLY_CHARS, required="Write the reply's text")
    return CannedReplyDraft(title or "", text or "")


async def _list_page(state: State, ctx: Ctx, console: ConsoleStaff, *, status_code: int = 200,
                     **fields: object) -> Template:
    async with ctx.db.transaction() as conn:
        replies = await canned_replies.listing(conn, console)
    return await render(state, "canned_replies.html", "Canned replies", CannedRepliesView(replies, **fields),
                        user_of(console), status_code=status_code)


@get(LIST_PATH, include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def replies_page(state: State, ctx: Ctx, console: ConsoleStaff,
                       notice: Annotated[str | None, Parameter(max_length=20)] = None) -> Template:
    require_admin(console)
    return await _list_page(state, ctx, console, notice=NOTICES.get(notice or "", ""))


@post(LIST_PATH, include_in_schema=False, dependencies=CONSOLE, exception_handlers=EXCEPTION_HANDLERS)
async def add_reply(state: State, ctx: Ctx, request: Request, console: ConsoleStaff) -> Template | Redirect:
    require_admin(console)
    form = await request.form()
    try:
        draft = _draft(form)
        async with ctx.db.transaction() as conn:
            await canned_replies.create(conn, ctx, console, draft, client=client_host(request))
    except (InvalidInputError, ConflictError) as exc:
        return await _list_page(state, ctx, console, status_code=exc.status, form=_kept(form),
                                errors=(FieldError(exc.field or "title", exc.detail),))
    return Redirect(f"{LIST_PATH}?notice=added", status_code=303)


async def _edit_page(state: State, ctx: Ctx, console: ConsoleStaff, reply_id: uuid.UUID, *, status_code: int = 200,
                     **fields: object) -> Template:
    async with ctx.db.transaction() as conn:
        reply = next((r for r in await canned_replies.listing(conn, console) if r.id == reply_id), None)
    if reply is None:
        raise NotFoundError(f"there is no canned reply {reply_id}", field="canned_reply_id")
    return await render(state, "canned_reply.html", f"Edit “{reply.title}”", CannedReplyView(reply, **fields),
                        user_of(console), status_code=status_code)


@get(f"{LIST_PATH}/{{reply_id:uuid}}", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def edit_page(state: State, ctx: Ctx, console: ConsoleStaff, reply_id: ReplyId) -> Template:
    require_admin(console)
    return await _edit_page(state, ctx, console, reply_id)


@post(f"{LIST_PATH}/{{reply_id:uuid}}", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def save_reply(state: State, ctx: Ctx, request: Request, console: ConsoleStaff,
                     reply_id: ReplyId) -> Template | Redirect:
    require_admin(console)
    form = await request.form()
    try:
        draft = _draft(form)
        async with ctx.db.transaction() as conn:
            await canned_replies.update(conn, ctx, console, reply_id, draft, client_host(request))
    except (InvalidInputError, ConflictError) as exc:
        return await _edit_page(state, ctx, console, reply_id, status_code=exc.status, form=_kept(form),
                                errors=(FieldError(exc.field or "title", exc.detail),))
    return Redirect(f"{LIST_PATH}?notice=saved", status_code=303)


@post(f"{LIST_PATH}/{{reply_id:uuid}}/delete", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def delete_reply(ctx: Ctx, request: Request, console: ConsoleStaff, reply_id: ReplyId) -> Redirect:
    require_admin(console)
    async with ctx.db.transaction() as conn:
        await canned_replies.delete(conn, ctx, console, reply_id, client=client_host(request))
    return Redirect(f"{LIST_PATH}?notice=deleted", status_code=303)


ROUTES = [replies_page, add_reply, edit_page, save_reply, delete_reply]
