"""Console sessions at the HTTP edge: the cookie, the ``console`` dependency and sign-in limits (CSRF: ``csrf.py``).

Cookie rules: ``HttpOnly``, ``SameSite=Strict``, path ``/``; when ``PORTAL_PUBLIC_URL`` is https it
is also ``Secure`` and named with the ``__Host-`` prefix (no domain, so no sibling host can set it).
The cookie holds the session id; the database holds its hash. A request without a live session
gets the sign-in page with 401 (``SessionEndedError`` handled in ``render.py``), never a redirect
loop and never a half-done action.

Roles: the review pages take ``provide_console`` (reviewer, approver, admin); the start page and
sign-out take ``provide_any_staff``, so a publisher who signs in lands on a page that works for them
(``landing_path``), never on a refusal. ``sections()`` lists the console's parts with the roles that
may open them: the navigation, the start page and the landing all read it.
"""

from __future__ import annotations

import msgspec
from litestar import Request
from litestar.datastructures import Cookie

from portal.domain import sessions
from portal.domain.staff import StaffPrincipal
from portal.errors import AuthenticationError, PermissionDeniedError
from portal.http import allowlist as allowlist_api
from portal.http.deps import Ctx
from portal.http.fast.throttle import throttled_posts
from portal.settings import Settings

CONSOLE_PATH = "/staff"
SIGN_IN_PATH = "/staff/sign-in"
MAX_SESSION_ID_CHARS = 100


class SessionEndedError(AuthenticationError):
    code = "session_ended"


class RoleRefusedError(PermissionDeniedError):
    """A page this member's role may not open at all (as against a refusal of one action on a request):
    the error page then offers no way back to a page of the same kind."""


def is_secure(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def cookie_name(settings: Settings) -> str:
    return "__Host-portal_staff" if is_secure(settings) else "portal_staff"


def timeouts(settings: Settings) -> sessions.SessionTimeouts:
    return sessions.SessionTimeouts(settings.staff_session_idle_seconds, settings.staff_session_absolute_seconds)


def session_cookie(settings: Settings, session_id: str) -> Cookie:
    return Cookie(key=cookie_name(settings), value=session_id, path="/", httponly=True, samesite="strict",
                  secure=is_secure(settings), max_age=settings.staff_session_absolute_seconds)


def cleared_cookie(settings: Settings) -> Cookie:
    return Cookie(key=cookie_name(settings), value="", path="/", httponly=True, samesite="strict",
                  secure=is_secure(settings), max_age=0)


def session_id_of(request: Request, settings: Settings) -> str | None:
    value = request.cookies.get(cookie_name(settings))
    if not value or len(value) > MAX_SESSION_ID_CHARS:
        return None
    return value


async def provide_any_staff(request: Request, ctx: Ctx) -> StaffPrincipal:
    """The ``console`` dependency of the pages every member of staff may open (the start page, sign-out):
    the principal of the request's live session (its idle clock restarted), whatever their role."""
    session_id = session_id_of(request, ctx.settings)
    if session_id is None:
        raise SessionEndedError("sign in to use the staff console")
    async with ctx.db.transaction() as conn:
        principal = await sessions.principal_for_session(conn, session_id, at=ctx.now(),
                                                         timeouts=timeouts(ctx.settings))
    if principal is None:
        raise SessionEndedError("your session has ended (signed out, timed out, or the key was revoked); "
                                "sign in again")
    return principal


async def provide_console(request: Request, ctx: Ctx) -> StaffPrincipal:
    """The ``console`` dependency of the review pages: a live session of a reviewer, approver or admin."""
    principal = await provide_any_staff(request, ctx)
    if not principal.holds("reviewer"):
        raise RoleRefusedError(f"the review pages are for reviewers, approvers and admins; {principal.name} "
                                    f"holds the {principal.role} role")
    return principal


class Section(msgspec.Struct, frozen=True):
    """One part of the console: where it is, what it is called, what it is for, and who may open it."""

    path: str
    label: str
    purpose: str
    roles: tuple[str, ...]

    def open_to(self, principal: StaffPrincipal) -> bool:
        return any(principal.holds(role) for role in self.roles)


START_PATH = "/staff/home"


def sections() -> tuple[Section, ...]:
    """The console's parts in the order the navigation lists them; a new page adds itself here."""
    return (
        Section("/staff/queue", "Queue", "Claim holders' requests, check the evidence and decide.", ("reviewer",)),
        Section("/staff/cases", "Cases", "Answer holders' questions about their address, amount or the deadline.",
                ("reviewer",)),
        Section("/staff/releases", "Releases", "See what each release holds, what is claimed, and download the "
                "unclaimed entries.", ("reviewer",)),
        Section("/staff/lookalikes", "Lookalike links", "Confirm or dismiss links that imitate the official ones.",
                ("reviewer",)),
        Section("/staff/publish", "Publish", "Sign and publish a policy version or a release with your wallet.",
                ("publisher",)),
        Section("/staff/admin/staff", "Staff", "Add staff keys, change roles, revoke keys.", ("admin",)),
        Section("/staff/admin/canned-replies", "Canned replies", "Keep the replies staff pick when they answer a "
                "case.", ("admin",)),
        Section("/staff/admin/audit", "Audit log", "Read every recorded action and verify the chain.", ("admin",)),
        Section("/staff/admin/allowlist", "Allowlist", "Download approved requests as a Merkle tree.",
                ALLOWLIST_ROLES),
    )


def sections_for(principal: StaffPrincipal) -> tuple[Section, ...]:
    return tuple(section for section in sections() if section.open_to(principal))


def landing_path(principal: StaffPrincipal) -> str:
    """Where sign-in leads: the first part of the console this member may use, else the start page
    (which says what their role does); never a page that would refuse them."""
    usable = sections_for(principal)
    return usable[0].path if usable else START_PATH


def require_admin(principal: StaffPrincipal) -> None:
    if not principal.holds("admin"):
        raise RoleRefusedError(f"this page is for admins; {principal.name} holds the {principal.role} role")


# The console shows the allowlist to exactly the roles ``GET /v1/allowlist`` admits: read from that
# route's guard, so the two doors to the same data cannot drift apart.
ALLOWLIST_ROLES: tuple[str, ...] = tuple(
    role for guard in allowlist_api.get_allowlist.guards or () for role in getattr(guard, "staff_roles", ()))
if not ALLOWLIST_ROLES:  # pragma: no cover - an import-time check of the wiring
    raise RuntimeError("GET /v1/allowlist has no require_role guard to read the allowlist's roles from")


def may_see_allowlist(principal: StaffPrincipal) -> bool:
    return any(principal.holds(role) for role in ALLOWLIST_ROLES)


def require_allowlist_reader(principal: StaffPrincipal) -> None:
    if not may_see_allowlist(principal):
        roles = " or ".join(ALLOWLIST_ROLES)
        raise RoleRefusedError(f"the allowlist is for staff with the {roles} role; {principal.name} holds "
                                    f"the {principal.role} role")


def sign_in_rate_limit(settings: Settings) -> list:
    """Sign-in attempts per client per minute, counted apart from the holders' limits but by the same
    shared counters (``portal.http.fast.throttle``): N replicas do not give a guesser N times the tries.
    0 turns it off."""
    if settings.staff_sign_in_per_minute == 0:
        return []
    return [throttled_posts("staff_sign_in", settings.staff_sign_in_per_minute, [SIGN_IN_PATH])]
