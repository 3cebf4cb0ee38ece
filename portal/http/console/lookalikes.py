"""``/staff/lookalikes``: the lookalike hosts the link checker saw, most seen first; confirm or dismiss each.

The same domain functions as ``GET /v1/links/lookalikes`` and its decision route, for the same role
(``reviewer``, which approvers and admins hold too); every decision is audited with the session.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.domain import lookalikes
from portal.errors import InvalidInputError, PermissionDeniedError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff
from portal.http.deps import Ctx
from portal.store.lookalikes import SeenLookalike

PAGE_ROWS = 200
NOTICES = {"confirmed": "Confirmed: the blocklist exports now list it.",
           "dismissed": "Dismissed: the exports leave it out."}


class LookalikesView(msgspec.Struct, frozen=True):
    rows: list[SeenLookalike]
    status: str
    notice: str = ""


def _require_reviewer(console: ConsoleStaff) -> None:
    if not console.holds("reviewer"):
        raise PermissionDeniedError(f"the lookalike log is for reviewers; {console.name} holds {console.role}")


@get("/staff/lookalikes", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def lookalikes_page(
    state: State, ctx: Ctx, console: ConsoleStaff,
    status: Annotated[Literal["new", "confirmed", "dismissed", "all"], Parameter(description="which to show")] = "new",
    notice: Annotated[str | None, Parameter(max_length=20)] = None,
) -> Template:
    _require_reviewer(console)
    rows = await lookalikes.listing(ctx, None if status == "all" else status, PAGE_ROWS)
    view = LookalikesView(rows, status, NOTICES.get(notice or "", ""))
    return await render(state, "lookalikes.html", "Lookalike links", view, user_of(console))


@post("/staff/lookalikes/{host:str}/decision", include_in_schema=False, dependencies=CONSOLE,
      exception_handlers=EXCEPTION_HANDLERS)
async def decide(ctx: Ctx, request: Request, console: ConsoleStaff,
                 host: Annotated[str, Parameter(max_length=253)]) -> Redirect:
    _require_reviewer(console)
    form = await request.form()
    decision = form_text(form, "decision", max_chars=10, required="Choose confirm or dismiss")
    if decision not in ("confirm", "dismiss"):
        raise InvalidInputError("Choose confirm or dismiss", field="decision")
    done = await lookalikes.decide(ctx, host, decision, console.actor, client_host(request),  # type: ignore[arg-type]
                                   console.audit_data())
    return Redirect(f"/staff/lookalikes?notice={done.status}", status_code=303)


ROUTES = [lookalikes_page, decide]
