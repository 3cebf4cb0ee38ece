"""``/staff``: sign in with an API key, sign out."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import sessions
from portal.domain.staff import StaffPrincipal
from portal.errors import AuthenticationError, InvalidInputError
from portal.http.auth import MAX_TOKEN_CHARS
from portal.http.clients import client_host
from portal.http.console.csrf import cleared_pre_session_cookie, sign_in_form
from portal.http.console.render import EXCEPTION_HANDLERS, SignInPage, form_text, render, user_of
from portal.http.console.session import (
    START_PATH,
    Section,
    cleared_cookie,
    landing_path,
    provide_any_staff,
    provide_console,
    sections_for,
    session_cookie,
    session_id_of,
    timeouts,
)
from portal.http.deps import Ctx
from portal.http.pages.view_models import FieldError

ConsoleStaff = NamedDependency[StaffPrincipal]
"""A console handler's ``console: ConsoleStaff`` receives the principal of the live session."""
RequestId = Annotated[uuid.UUID, Parameter(description="the request's id")]
MemberName = Annotated[str, Parameter(max_length=64, description="a staff key's name")]
NOTICES = {"signed_out": "You are signed out.",
           "own_key_revoked": "Your own key is revoked and your session has ended. Sign in with another key."}
CONSOLE = {"console": Provide(provide_console)}
"""The review pages' dependency: reviewers, approvers and admins."""
CONSOLE_ANY_ROLE = {"console": Provide(provide_any_staff)}
"""The dependency of pages for every member of staff, whatever their role (the start page, sign-out)."""


class StartPage(msgspec.Struct, frozen=True):
    sections: tuple[Section, ...]
    publisher: bool


@get("/staff", include_in_schema=False, cache_control=None, exception_handlers=EXCEPTION_HANDLERS)
async def console_home(state: State, ctx: Ctx, request: Request,
                       notice: Annotated[str | None, Parameter(max_length=20)] = None) -> Template | Redirect:
    session_id = session_id_of(request, ctx.settings)
    if session_id is not None:
        async with ctx.db.transaction() as conn:
            principal = await sessions.principal_for_session(conn, session_id, at=ctx.now(),
                                                             timeouts=timeouts(ctx.settings))
        if principal is not None:
            return Redirect(landing_path(principal))
    return await render(state, "sign_in.html", "Sign in", SignInPage(notice=NOTICES.get(notice or "", "")), None,
                        cookies=sign_in_form(request))


@post("/staff/sign-in", include_in_schema=False, exception_handlers=EXCEPTION_HANDLERS)
async def sign_in(state: State, ctx: Ctx, request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        api_key = form_text(form, "api_key", max_chars=MAX_TOKEN_CHARS, required="Enter your staff API key")
        assert api_key is not None
        async with ctx.db.transaction() as conn:
            started = await sessions.sign_in(conn, api_key, at=ctx.now(), timeouts=timeouts(ctx.settings),
                                             client=client_host(request))
    except (InvalidInputError, AuthenticationError) as exc:
        errors = (FieldError("api_key", exc.detail if isinstance(exc, InvalidInputError)
                             else "That key is not an active staff key"),)
        return await render(state, "sign_in.html", "Sign in", SignInPage(errors=errors), None,
                            status_code=400 if isinstance(exc, InvalidInputError) else 401,
                            cookies=sign_in_form(request))
    # the pre-session cookie has done its job: from here on the forms are bound to the session
    cookies = [session_cookie(ctx.settings, started.session_id), cleared_pre_session_cookie(ctx.settings)]
    return Redirect(landing_path(started.principal), status_code=303, cookies=cookies)


@get(START_PATH, include_in_schema=False, cache_control=None, dependencies=CONSOLE_ANY_ROLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def start_page(state: State, console: ConsoleStaff) -> Template:
    """What this member of staff can do here: every error page links to it, and it refuses no role."""
    view = StartPage(sections_for(console), console.holds("publisher"))
    return await render(state, "home.html", "Staff console", view, user_of(console))


@post("/staff/sign-out", include_in_schema=False, dependencies=CONSOLE_ANY_ROLE, exception_handlers=EXCEPTION_HANDLERS)
async def sign_out(ctx: Ctx, request: Request, console: ConsoleStaff) -> Redirect:
    session_id = session_id_of(request, ctx.settings)
    assert session_id is not None  # the console dependency found a live session
    async with ctx.db.transaction() as conn:
        await sessions.sign_out(conn, session_id, at=ctx.now(), actor=console.actor, client=client_host(request))
    return Redirect("/staff?notice=signed_out", status_code=303, cookies=[cleared_cookie(ctx.settings)])


ROUTES = [console_home, sign_in, start_page, sign_out]
