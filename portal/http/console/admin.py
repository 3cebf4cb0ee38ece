"""``/staff/admin``: staff keys (add, change role, revoke), the audit log and its check, the allowlist."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import allowlist, sessions, staff
from portal.domain.audit import events_after
from portal.domain.audit_verify import verify_url
from portal.domain.context import UseCaseContext
from portal.domain.staff import ROLES
from portal.errors import ConflictError, InvalidInputError, NotFoundError
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.session import require_admin, require_allowlist_reader
from portal.http.console.sign_in import CONSOLE, ConsoleStaff, MemberName
from portal.http.deps import Ctx
from portal.http.pages.view_models import Choice, FieldError
from portal.store.audit import AuditEvent
from portal.store.staff import StaffKeyRow

AUDIT_PAGE_SIZE = 100
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NOTICES = {"revoked": "Key revoked: its sessions ended at once.", "role": "Role changed."}


class StaffView(msgspec.Struct, frozen=True):
    keys: list[StaffKeyRow]
    roles: list[Choice]
    created: staff.CreatedKey | None = None
    notice: str = ""
    errors: tuple[FieldError, ...] = ()
    form: dict[str, str] = msgspec.field(default_factory=dict)


class RevokeView(msgspec.Struct, frozen=True):
    """The confirmation before a revocation: whose key, and what revoking it does (or why it cannot be)."""

    key: StaffKeyRow
    own_key: bool
    last_admin: bool


class AuditView(msgspec.Struct, frozen=True):
    events: list[AuditEvent]
    next_after: int | None
    verify: dict[str, object] | None = None


class AllowlistView(msgspec.Struct, frozen=True):
    snapshots: list[str]
    chains: list[str]


async def _staff_page(state: State, ctx: UseCaseContext, console: ConsoleStaff, *, status_code: int = 200,
                      **fields) -> Template:
    async with ctx.db.transaction() as conn:
        keys = await staff.list_keys(conn)
    view = StaffView(keys, [Choice(r, r) for r in ROLES], **fields)
    return await render(state, "staff.html", "Staff", view, user_of(console), status_code=status_code)


@get("/staff/admin/staff", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def staff_page(state: State, ctx: Ctx, console: ConsoleStaff,
                     notice: Annotated[str | None, Parameter(max_length=20)] = None) -> Template:
    require_admin(console)
    return await _staff_page(state, ctx, console, notice=NOTICES.get(notice or "", ""))


@post("/staff/admin/staff", include_in_schema=False, dependencies=CONSOLE, exception_handlers=EXCEPTION_HANDLERS)
async def add_member(state: State, ctx: Ctx, request: Request, console: ConsoleStaff) -> Template:
    require_admin(console)
    form = await request.form()
    kept = {"name": str(form.get("name") or "")[:staff.MAX_NAME_CHARS], "role": str(form.get("role") or "")[:20]}
    try:
        name = form_text(form, "name", max_chars=staff.MAX_NAME_CHARS, required="Enter a name for the new member")
        role = form_text(form, "role", max_chars=20, required="Choose a role")
        async with ctx.db.transaction() as conn:
            created = await staff.create_key(conn, name=name or "", role=role or "", actor=console.actor,
                                             at=ctx.now(), audit_data=console.audit_data())
    except (InvalidInputError, ConflictError) as exc:
        return await _staff_page(state, ctx, console, status_code=exc.status, form=kept,
                                 errors=(FieldError(exc.field or "name", exc.detail),))
    response = await _staff_page(state, ctx, console, created=created)
    response.headers["Cache-Control"] = "no-store"  # the token is shown once; keep it out of every cache
    return response


@post("/staff/admin/staff/{name:str}/role", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def change_role(ctx: Ctx, request: Request, console: ConsoleStaff, name: MemberName) -> Redirect:
    require_admin(console)
    form = await request.form()
    role = form_text(form, "role", max_chars=20, required="Choose a role")
    async with ctx.db.transaction() as conn:
        await staff.change_role(conn, name=name, role=role or "", actor=console.actor, at=ctx.now(),
                                audit_data=console.audit_data())
    return Redirect("/staff/admin/staff?notice=role", status_code=303)


@get("/staff/admin/staff/{name:str}/revoke", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def confirm_revoke(state: State, ctx: Ctx, console: ConsoleStaff, name: MemberName) -> Template:
    """The step before a revocation, with no script: what it does, or why it cannot be done."""
    require_admin(console)
    async with ctx.db.transaction() as conn:
        key = next((k for k in await staff.list_keys(conn) if k.name == name and k.revoked_at is None), None)
        if key is None:
            raise NotFoundError(f"there is no active staff key named {name}", field="name")
        last_admin = await staff.is_last_admin(conn, name)
    view = RevokeView(key, own_key=name == console.name and console.source == "api_key", last_admin=last_admin)
    return await render(state, "revoke.html", f"Revoke {name}'s key", view, user_of(console))


@post("/staff/admin/staff/{name:str}/revoke", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def revoke(ctx: Ctx, console: ConsoleStaff, name: MemberName) -> Redirect:
    require_admin(console)
    async with ctx.db.transaction() as conn:
        await sessions.revoke_key(conn, console, name, at=ctx.now())
    if name == console.name and console.source == "api_key":  # their own session ended with the key
        return Redirect("/staff?notice=own_key_revoked", status_code=303)
    return Redirect("/staff/admin/staff?notice=revoked", status_code=303)


@get("/staff/admin/audit", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def audit_page(state: State, ctx: Ctx, console: ConsoleStaff,
                     after: Annotated[int, Parameter(ge=0, le=2**62)] = 0) -> Template:
    require_admin(console)
    async with ctx.db.transaction() as conn:
        events = await events_after(conn, after, AUDIT_PAGE_SIZE + 1)
    next_after = events[AUDIT_PAGE_SIZE - 1].seq if len(events) > AUDIT_PAGE_SIZE else None
    return await render(state, "audit.html", "Audit log", AuditView(events[:AUDIT_PAGE_SIZE], next_after),
                        user_of(console))


@post("/staff/admin/audit/verify", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def verify_audit(state: State, ctx: Ctx, console: ConsoleStaff) -> Template:
    require_admin(console)
    # the very function ``portal audit verify`` runs: the whole chain from seq 1 under the audit key,
    # held to the checkpoint file when there is one, on its own connection as the app's role
    checkpoint_file = ctx.settings.audit_checkpoint_path
    sources = [checkpoint_file] if checkpoint_file and Path(checkpoint_file).is_file() else []
    result = await anyio.to_thread.run_sync(verify_url, ctx.db.pool.conninfo, ctx.settings, sources)
    async with ctx.db.transaction() as conn:
        events = await events_after(conn, 0, AUDIT_PAGE_SIZE + 1)
    next_after = events[AUDIT_PAGE_SIZE - 1].seq if len(events) > AUDIT_PAGE_SIZE else None
    return await render(state, "audit.html", "Audit log", AuditView(events[:AUDIT_PAGE_SIZE], next_after, result),
                        user_of(console))


@get("/staff/admin/allowlist", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def allowlist_page(state: State, ctx: Ctx, console: ConsoleStaff) -> Template:
    require_allowlist_reader(console)
    view = AllowlistView([m.id for m in ctx.snapshots.manifests], list(ctx.settings.destination_chains))
    return await render(state, "allowlist.html", "Allowlist", view, user_of(console))


@get("/staff/admin/allowlist/download", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def allowlist_download(
    ctx: Ctx, console: ConsoleStaff,
    snapshot_id: Annotated[str, Parameter(max_length=200)],
    destination_chain: Annotated[str, Parameter(max_length=10)] = "evm",
    format: Annotated[str, Parameter(max_length=4)] = "json",
) -> Response:
    require_allowlist_reader(console)
    if destination_chain not in ctx.settings.destination_chains:
        raise NotFoundError(f"destination chain {destination_chain!r} is not served here", field="destination_chain")
    async with ctx.db.transaction() as conn:
        result = await allowlist.export(conn, ctx.snapshots, snapshot_id, destination_chain=destination_chain,
                                        evm_chain_id=ctx.settings.evm_chain_id)
    name = f"allowlist-{snapshot_id}-{destination_chain}"
    if format == "csv":
        return Response(allowlist.to_csv(result), media_type=CSV_MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(msgspec.json.encode(result), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


ROUTES = [staff_page, add_member, change_role, confirm_revoke, revoke, audit_page, verify_audit, allowlist_page,
          allowlist_download]
