"""Console sessions: a staff API key exchanged once for a server-side session.

Invariants:
- the session id is ``secrets.token_urlsafe(32)``; it lives only in the browser's HttpOnly cookie,
  the table holds its sha256 (found by that hash, so nothing compares secrets by hand);
- a session ends at sign-out, after ``idle_seconds`` without a request, ``absolute_seconds`` after
  sign-in, and the moment its key is revoked (every use joins the key: ``store.touch_session``);
- sign-in and sign-out append ``staff:session:started`` / ``staff:session:ended``; every other
  console action is audited by the domain function it calls, with ``session`` (the ``ref``) in
  its data, so the log says who did it and through which session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec

from portal.domain import staff
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.staff import StaffPrincipal
from portal.errors import AuthenticationError
from portal.store import sessions as store
from portal.store.database import Connection

SESSION_ID_BYTES = 32
REF_HEX_CHARS = 12


class SessionTimeouts(msgspec.Struct, frozen=True):
    idle_seconds: int
    absolute_seconds: int


class StartedSession(msgspec.Struct, frozen=True):
    session_id: str  # goes into the cookie and nowhere else
    principal: StaffPrincipal


def session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8")).digest()


async def sign_in(conn: Connection, api_key: str, *, at: dt.datetime, timeouts: SessionTimeouts,
                  client: str | None) -> StartedSession:
    """Exchange an active API key for a new session; ``AuthenticationError`` for any other key."""
    principal = await staff.principal_for_key(conn, api_key)
    if principal is None:
        raise AuthenticationError("that key is not an active staff key", field="api_key")
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    digest = session_hash(session_id)
    ref = digest.hex()[:REF_HEX_CHARS]
    created = await store.insert_session(conn, id_hash=digest, ref=ref, name=principal.name, now=at,
                                         expires_at=at + dt.timedelta(seconds=timeouts.absolute_seconds),
                                         client=client)
    if not created:  # revoked between the two statements
        raise AuthenticationError("that key is not an active staff key", field="api_key")
    principal = msgspec.structs.replace(principal, session=ref)
    await record(conn, AuditEntry(AuditAction.SESSION_STARTED, at=at, actor=principal.actor, subject=f"session:{ref}",
                 data={"role": principal.role, "session": ref}, client=client))
    return StartedSession(session_id, principal)


async def principal_for_session(conn: Connection, session_id: str, *, at: dt.datetime,
                                timeouts: SessionTimeouts) -> StaffPrincipal | None:
    """The principal of a live session (and its idle clock restarted), or None."""
    live = await store.touch_session(conn, id_hash=session_hash(session_id), now=at,
                                     idle_cutoff=at - dt.timedelta(seconds=timeouts.idle_seconds))
    if live is None:
        return None
    return StaffPrincipal(name=live.name, role=live.role, source="api_key", session=live.ref)  # type: ignore[arg-type]


async def sign_out(conn: Connection, session_id: str, *, at: dt.datetime, actor: str,
                   client: str | None) -> None:
    ref = await store.end_session(conn, id_hash=session_hash(session_id), now=at)
    if ref is not None:
        await record(conn, AuditEntry(AuditAction.SESSION_ENDED, at=at, actor=actor, subject=f"session:{ref}",
                     data={"session": ref, "reason": "signed_out"}, client=client))


async def revoke_key(conn: Connection, principal: StaffPrincipal, name: str, *, at: dt.datetime):
    """Revoke a key and end its sessions in one transaction (they would be refused anyway)."""
    revoked = await staff.revoke_key(conn, name=name, actor=principal.actor, at=at, audit_data=principal.audit_data())
    await store.end_sessions_of_key(conn, name=name, now=at)
    return revoked
