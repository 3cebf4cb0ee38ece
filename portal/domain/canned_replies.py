"""Canned replies: texts admins keep so staff answer common case questions the same way (issue 23).

Invariants:
- only an admin adds, edits or deletes one (``PermissionDeniedError`` otherwise), and each change
  appends its audit event (title and text as they became) in the caller's transaction;
- any member of staff who works cases (``reviewer``, which approvers and admins hold) lists them and
  sends one: its text is cleaned as every staff text is and copied into the case's thread, so a later
  edit or deletion never changes what a holder already read;
- a title is one line of 1..``MAX_TITLE_CHARS`` characters and unique, its text 1..``MAX_REPLY_CHARS``
  (a case message's own limit); neither holds a control character (the text may hold tab and line breaks).
"""

from __future__ import annotations

import uuid

import msgspec

from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.cases import MAX_TEXT_CHARS
from portal.domain.context import UseCaseContext
from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portal.store import canned_replies as store
from portal.store.canned_replies import CannedReply
from portal.store.database import Connection

MAX_TITLE_CHARS = 120
MAX_REPLY_CHARS = MAX_TEXT_CHARS

__all__ = ["CannedReply", "CannedReplyDraft", "create", "delete", "listing", "text_for_reply", "update"]


class CannedReplyDraft(msgspec.Struct, frozen=True):
    """What an admin writes: a short title staff pick it by, and the text the holder reads."""

    title: str
    text: str


def _require_admin(principal: StaffPrincipal) -> None:
    if not principal.holds("admin"):
        raise PermissionDeniedError(f"only admins add, edit or delete canned replies; {principal.name} holds the "
                                    f"{principal.role} role")


def _require_reader(principal: StaffPrincipal) -> None:
    if not principal.holds("reviewer"):
        raise PermissionDeniedError(f"canned replies are for staff who work cases; {principal.name} holds the "
                                    f"{principal.role} role")


def _clean(draft: CannedReplyDraft) -> CannedReplyDraft:
    title = clean_text(draft.title, field="title", max_chars=MAX_TITLE_CHARS, required="Give the reply a title")
    if title and any(char in title for char in "\t\n\r"):
        raise InvalidInputError("title is one line: remove the tab or line break", field="title")
    text = clean_text(draft.text, field="text", max_chars=MAX_REPLY_CHARS, required="Write the reply's text")
    return CannedReplyDraft(title or "", text or "")


def _not_found(reply_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"there is no canned reply {reply_id}", field="canned_reply_id")


async def _audit(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, action: AuditAction,
                 reply: CannedReply, client: str | None) -> None:
    await record(conn, AuditEntry(action, at=ctx.now(), actor=principal.actor, subject=f"canned_reply:{reply.id}",
                                  data={"title": reply.title, "text": reply.text, **principal.audit_data()},
                                  client=client))


async def listing(conn: Connection, principal: StaffPrincipal) -> list[CannedReply]:
    """Every canned reply, by title."""
    _require_reader(principal)
    return await store.list_replies(conn)


async def text_for_reply(conn: Connection, principal: StaffPrincipal, reply_id: uuid.UUID) -> str:
    """The text a member of staff sends when they pick canned reply ``reply_id``."""
    _require_reader(principal)
    reply = await store.get_reply(conn, reply_id)
    if reply is None:
        raise _not_found(reply_id)
    return reply.text


async def create(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, draft: CannedReplyDraft, *,
                 client: str | None = None) -> CannedReply:
    _require_admin(principal)
    words = _clean(draft)
    reply = await store.insert_reply(conn, title=words.title, text=words.text, actor=principal.actor, at=ctx.now())
    await _audit(conn, ctx, principal, AuditAction.CANNED_REPLY_CREATED, reply, client)
    return reply


async def update(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, reply_id: uuid.UUID,
                 draft: CannedReplyDraft, client: str | None = None) -> CannedReply:
    _require_admin(principal)
    words = _clean(draft)
    reply = await store.update_reply(conn, reply_id, title=words.title, text=words.text, actor=principal.actor,
                                     at=ctx.now())
    if reply is None:
        raise _not_found(reply_id)
    await _audit(conn, ctx, principal, AuditAction.CANNED_REPLY_UPDATED, reply, client)
    return reply


async def delete(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, reply_id: uuid.UUID, *,
                 client: str | None = None) -> CannedReply:
    _require_admin(principal)
    reply = await store.delete_reply(conn, reply_id)
    if reply is None:
        raise _not_found(reply_id)
    await _audit(conn, ctx, principal, AuditAction.CANNED_REPLY_DELETED, reply, client)
    return reply
