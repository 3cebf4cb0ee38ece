"""Staff identities: roles, API keys, and the principal a staff request runs as.

Invariants:
- a token is ``secrets.token_urlsafe(32)`` (256 bits), shown once at creation and stored only as its
  sha256; it is found by that hash and the hash is compared again with ``hmac.compare_digest``;
- every key creation and revocation appends an audit event in the same transaction;
- roles form a small lattice: ``admin`` holds every role, ``approver`` also holds ``reviewer``;
  ``publisher`` holds only itself (publishing policy is not reviewing, and the reverse).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Literal

import msgspec

from portal.domain.audit import AuditAction, AuditEntry, record
from portal.errors import InvalidInputError, LastAdminError, NotFoundError
from portal.store import staff as store
from portal.store.database import Connection

Role = Literal["reviewer", "approver", "publisher", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "approver", "publisher", "admin")
ROLE_IMPLIES: dict[str, frozenset[str]] = {
    "reviewer": frozenset({"reviewer"}),
    "approver": frozenset({"approver", "reviewer"}),
    "publisher": frozenset({"publisher"}),
    "admin": frozenset(ROLES),
}
TOKEN_BYTES = 32
MAX_NAME_CHARS = 64


class StaffPrincipal(msgspec.Struct, frozen=True):
    """Who a staff request runs as. ``actor`` is the name written to leases and the audit log.

    ``role`` is the strongest role held; ``also`` lists further roles a JWT grants beside it (an
    identity provider may grant ``publisher`` and ``reviewer`` together; an API key has one role).
    """

    name: str
    role: Role
    source: Literal["api_key", "jwt"]
    issuer: str | None = None
    also: tuple[Role, ...] = ()
    session: str | None = None  # the console session's public ref, written beside the actor in audit events

    @property
    def actor(self) -> str:
        """Unambiguous across sources: ``key:alice`` or ``jwt:https://idp.example#alice``."""
        return f"key:{self.name}" if self.source == "api_key" else f"jwt:{self.issuer}#{self.name}"

    def audit_data(self) -> dict[str, str]:
        """What every audited action adds about how the actor signed in (the console session, if any)."""
        return {"session": self.session} if self.session else {}

    def holds(self, role: str) -> bool:
        return any(role in ROLE_IMPLIES[held] for held in (self.role, *self.also))


def name_of(actor: str) -> str:
    """The member's name in an actor string (``key:alice`` and ``jwt:https://idp.example#alice`` are
    both ``alice``); any other actor as it is written."""
    if actor.startswith("key:"):
        return actor[4:]
    if actor.startswith("jwt:") and "#" in actor:
        return actor.rpartition("#")[2]
    return actor


class CreatedKey(msgspec.Struct, frozen=True):
    """Printed once by ``portal staff add``; the token is not recoverable afterwards."""

    name: str
    role: str
    token: str


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_CHARS or not all(c.isalnum() or c in "._-@" for c in name):
        raise InvalidInputError(f"staff name must be 1-{MAX_NAME_CHARS} letters, digits or ._-@",
                                field="name")


async def create_key(conn: Connection, *, name: str, role: str, actor: str, at: dt.datetime,
                     audit_data: dict[str, str] | None = None) -> CreatedKey:
    _check_name(name)
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}", field="role")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await store.insert_key(conn, name=name, role=role, token_hash=token_hash(token), created_at=at)
    await record(conn, AuditEntry(AuditAction.STAFF_KEY_CREATED, at=at, actor=actor, subject=f"staff:{name}",
                 data={"role": role, **(audit_data or {})}))
    return CreatedKey(name, role, token)


async def list_keys(conn: Connection) -> list[store.StaffKeyRow]:
    return await store.list_keys(conn)


async def refuse_last_admin(conn: Connection, name: str, *, doing: str) -> None:
    """``LastAdminError`` when ``name`` holds the last active admin key; the admins stay locked until the
    transaction ends, so two admins revoking each other at once cannot leave none."""
    if await store.lock_active_admins(conn) == [name]:
        raise LastAdminError(f"{name} holds the last active admin key, so it cannot be {doing}: without an admin "
                             "key nobody can manage staff. Add another admin first.", field="name")


async def is_last_admin(conn: Connection, name: str) -> bool:
    return await store.lock_active_admins(conn) == [name]


async def revoke_key(conn: Connection, *, name: str, actor: str, at: dt.datetime,
                     audit_data: dict[str, str] | None = None) -> store.StaffKeyRow:
    """Revoke an active key; never the last active admin key (``LastAdminError``, 409)."""
    await refuse_last_admin(conn, name, doing="revoked")
    revoked = await store.revoke_key(conn, name=name, revoked_at=at)
    if revoked is None:
        raise NotFoundError(f"no active staff key named {name!r}", field="name")
    await record(conn, AuditEntry(AuditAction.STAFF_KEY_REVOKED, at=at, actor=actor, subject=f"staff:{name}",
                 data={"role": revoked.role, **(audit_data or {})}))
    return revoked


async def change_role(conn: Connection, *, name: str, role: str, actor: str, at: dt.datetime,
                      audit_data: dict[str, str] | None = None) -> store.StaffKeyRow:
    """Give an active key another role; it counts from the holder's next request (sessions read it)."""
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}", field="role")
    if role != "admin":
        await refuse_last_admin(conn, name, doing="given another role")
    changed = await store.change_role(conn, name=name, role=role)
    if changed is None:
        raise NotFoundError(f"no active staff key named {name!r}", field="name")
    await record(conn, AuditEntry(AuditAction.STAFF_KEY_ROLE_CHANGED, at=at, actor=actor, subject=f"staff:{name}",
                 data={"from": changed.previous_role, "role": role, **(audit_data or {})}))
    return changed.row


async def principal_for_key(conn: Connection, token: str) -> StaffPrincipal | None:
    """The principal of an active API key, or None (unknown, revoked)."""
    digest = token_hash(token)
    stored = await store.key_by_hash(conn, digest)
    if stored is None or not hmac.compare_digest(stored.token_hash, digest):
        return None
    return StaffPrincipal(name=stored.name, role=stored.role, source="api_key")  # type: ignore[arg-type]
