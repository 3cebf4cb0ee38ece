"""Console sessions at the HTTP edge: the cookie, the ``console`` dependency and sign-in limits (CSRF: ``csrf.py``).

Cookie rules: ``HttpOnly``, ``SameSite=Strict``, path ``/``; when ``PORTAL_PUBLIC_URL`` is https it
is also ``Secure`` and named with the ``__Host-`` prefix (no domain, so no sibling host can set it).
The cookie holds the session id; the database holds its hash. A request without a live session
gets the sign-in page with 401 (``SessionEndedError`` handled in ``render.py``), never a redirect
loop and never a half-done action.
"""

from __future__ import annotations

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


async def live_principal(request: Request, ctx: Ctx) -> StaffPrincipal:
    """The principal of the request's live session (its idle clock restarted), whatever its role."""
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
    """The ``console`` dependency: the live session's principal, who must review (or more)."""
    principal = await live_principal(request, ctx)
    if not principal.holds("reviewer"):
        raise PermissionDeniedError(f"the console is for reviewers, approvers and admins; {principal.name} "
                                    f"holds {principal.role}")
    return principal


def home_path(principal: StaffPrincipal) -> str:
    """Where a signed-in member starts: the queue, or the publishing page for a publisher who does not review."""
    return "/staff/queue" if principal.holds("reviewer") else "/staff/publish"


def require_admin(principal: StaffPrincipal) -> None:
    if not principal.holds("admin"):
        raise PermissionDeniedError(f"this page is for admins; {principal.name} holds {principal.role}")


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
        raise PermissionDeniedError(f"the allowlist is for {' or '.join(ALLOWLIST_ROLES)}; {principal.name} "
                                    f"holds {principal.role}")


def sign_in_rate_limit(settings: Settings) -> list:
    """Sign-in attempts per client per minute, counted apart from the holders' limits but by the same
    shared counters (``portal.http.fast.throttle``): N replicas do not give a guesser N times the tries.
    0 turns it off."""
    if settings.staff_sign_in_per_minute == 0:
        return []
    return [throttled_posts("staff_sign_in", settings.staff_sign_in_per_minute, [SIGN_IN_PATH])]
