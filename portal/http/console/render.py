"""What every console page shares: the signed-in user in the layout, form reading, errors as pages.

Forms are read field by field with a bound on each (``form_text``); a refused value becomes a
``FieldError`` on the page it came from. Errors raised by domain functions (``PortalError``) and
Litestar's validation errors become an HTML page with the same status the JSON API would answer
(409, 403, 404, ...), never a 500 and never JSON in the browser.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import Cookie, State
from litestar.exceptions import ValidationException
from litestar.response import Template

from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import NotFoundError, PortalError
from portal.http.console.csrf import sign_in_form
from portal.http.console.session import (
    CONSOLE_PATH,
    SIGN_IN_PATH,
    START_PATH,
    RoleRefusedError,
    Section,
    SessionEndedError,
    cleared_cookie,
    sections_for,
)
from portal.http.copy import console as words
from portal.http.pages.layout import render_page
from portal.http.pages.view_models import FieldError

MAX_FORM_FIELD_CHARS = 4000


class ConsoleUser(msgspec.Struct, frozen=True):
    name: str
    role: str
    session: str
    sections: tuple[Section, ...]


def user_of(principal: StaffPrincipal) -> ConsoleUser:
    return ConsoleUser(principal.name, principal.role, principal.session or "", sections_for(principal))


class Link(msgspec.Struct, frozen=True):
    url: str
    label: str


class ErrorPage(msgspec.Struct, frozen=True):
    """A refusal in a sentence, and ways on that cannot lead back to the same refusal."""

    status: int
    message: str
    links: tuple[Link, ...]
    field: str | None = None


class SignInPage(msgspec.Struct, frozen=True):
    errors: tuple[FieldError, ...] = ()
    notice: str = ""


async def render(state: State, template: str, title: str, page: msgspec.Struct, user: ConsoleUser | None, *,
                 status_code: int = 200, cookies: list[Cookie] | None = None) -> Template:
    return render_page(state, f"console/{template}", title, page, status_code=status_code, cookies=cookies,
                       context=template_context(user))


def template_context(user: ConsoleUser | None) -> dict[str, object]:
    """What every console template gets besides ``page``: the user, and the words for codes."""
    return {"user": user, "who": words.who, "status_words": words.status_words, "action_words": words.action_words,
            "risk_words": words.risk_words}


def form_text(form: Any, name: str, *, max_chars: int = MAX_FORM_FIELD_CHARS,
              required: str | None = None) -> str | None:
    """One form field, stripped; ``InvalidInputError`` (field ``name``) when too long or holding control chars."""
    values = form.getall(name, []) if hasattr(form, "getall") else [form.get(name)]
    if len(values) > 1:
        values = values[:1]
    value = values[0] if values else None
    if value is not None and not isinstance(value, str):
        value = None
    return clean_text(value, field=name, max_chars=max_chars, required=required)


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


_REQUEST_ACTION = re.compile(r"^/staff/requests/([0-9a-fA-F-]{36})/[a-z-]+$")


def ways_back(path: str, exc: Exception) -> tuple[Link, ...]:
    """Links from an error on ``path``: the page the failed action was taken from (when it still
    exists and is not where the error came from), then the console's start page, which any member
    of staff may open."""
    links: list[Link] = []
    action_on = _REQUEST_ACTION.match(path)
    if isinstance(exc, RoleRefusedError):
        pass  # a page of the same kind would refuse them again
    elif action_on and not isinstance(exc, NotFoundError):
        links.append(Link(f"/staff/requests/{action_on.group(1)}", "Back to the request"))
    elif path.startswith("/staff/admin/staff/"):
        links.append(Link("/staff/admin/staff", "Back to the staff list"))
    elif path == SIGN_IN_PATH:
        links.append(Link(CONSOLE_PATH, "Back to sign in"))
    links.append(Link(START_PATH, "Go to the console's start page"))
    return tuple(link for link in links if link.url != path)


def error_page(request: Request, exc: Exception) -> Template:
    """The console's exception handler: the sign-in page for an ended session, else an error page.

    Litestar calls exception handlers synchronously; the layout is read without a query anyway."""
    state = request.app.state

    def render_now(template: str, title: str, page: msgspec.Struct, status_code: int,
                   cookies: list[Cookie] | None = None) -> Template:
        # no-store here too: a refusal raised before the CSRF middleware's wrapper never passes through it
        return render_page(state, f"console/{template}", title, page, status_code=status_code, cookies=cookies,
                           headers={"Cache-Control": "no-store"}, context=template_context(None))

    if isinstance(exc, SessionEndedError):
        return render_now("sign_in.html", "Sign in", SignInPage(notice=exc.detail), exc.status,
                          [cleared_cookie(state.runtime.settings), *sign_in_form(request)])
    links = ways_back(request.scope["path"], exc)
    if isinstance(exc, PortalError):
        page = ErrorPage(exc.status, words.sentence(exc.detail), links, exc.field)
    elif isinstance(exc, ValidationException):
        page = ErrorPage(400, "A value in the address bar or the form is not one this page accepts.", links)
    else:  # pragma: no cover - only the types registered in EXCEPTION_HANDLERS arrive here
        raise exc
    return render_now("error.html", "Problem", page, page.status)


# NotFoundError by name: the app-level handler of it (``portal.http.error_pages``) would win over PortalError's.
EXCEPTION_HANDLERS = {PortalError: error_page, NotFoundError: error_page, ValidationException: error_page}
