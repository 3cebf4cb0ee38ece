"""Staff authentication at the HTTP edge: bearer parsing, the ``require_role`` guard, the principal.

A staff route says ``guards=[require_role("reviewer")]`` and takes a ``staff: StaffPrincipal``
parameter typed ``Staff`` (the app-level ``staff`` dependency). The guard authenticates the bearer token — an API
key (looked up by its sha256) or a JWT from a configured issuer (``portal.domain.jwt_auth``) —
checks the role, and leaves the principal on the request's state for the dependency to hand out.

Refusals are problem+json: a missing, malformed, unknown, revoked or expired credential is ``401``;
a valid one without the role is ``403``. Holder status tokens are not staff keys (they live hashed
in ``requests``), so they never pass this guard, and staff keys never unlock the holder view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from portal.domain import staff as staff_domain
from portal.domain.staff import ROLES, StaffPrincipal
from portal.errors import AuthenticationError, PermissionDeniedError
from portal.runtime import Runtime

MAX_TOKEN_CHARS = 8192
_STATE_KEY = "staff_principal"
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
Staff = NamedDependency[StaffPrincipal]
"""A handler's ``staff: Staff`` parameter receives the principal its ``require_role`` guard admitted."""


def bearer_token(connection: ASGIConnection) -> str:
    """The token of ``Authorization: Bearer <token>``; 401 when absent or malformed."""
    header = connection.headers.get("authorization")
    if not header:
        raise AuthenticationError("staff route: send Authorization: Bearer <staff key or JWT>")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS or not set(token) <= _TOKEN_CHARS:
        raise AuthenticationError("malformed Authorization header: expected 'Bearer <token>'")
    return token


async def authenticate(runtime: Runtime, token: str) -> StaffPrincipal:
    """The principal a token stands for: a JWT when it has the three-part JWS form, else an API key."""
    if token.count(".") == 2:
        if runtime.jwt_verifier is None:
            raise AuthenticationError("no JWT issuer is configured; use a staff API key")
        return await runtime.jwt_verifier.verify(token)
    async with runtime.db.transaction() as conn:
        principal = await staff_domain.principal_for_key(conn, token)
    if principal is None:
        raise AuthenticationError("unknown or revoked staff key")
    return principal


def require_role(*roles: str) -> Guard:
    """A guard admitting staff holding any of ``roles`` (``admin`` holds all; ``approver`` holds ``reviewer``)."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"require_role needs roles from {ROLES}, got {roles}")

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = await authenticate(connection.app.state.runtime, bearer_token(connection))
        if not any(principal.holds(role) for role in roles):
            raise PermissionDeniedError(f"this route needs the role {' or '.join(roles)}; "
                                        f"{principal.name} holds {principal.role}")
        connection.state[_STATE_KEY] = principal

    guard.__qualname__ = guard.__name__ = f"require_role({', '.join(roles)})"
    guard.staff_roles = roles  # type: ignore[attr-defined]  # read by the permission-matrix test
    return guard


def provide_staff(request: Request) -> StaffPrincipal:
    """The ``staff`` dependency: the principal the route's ``require_role`` guard admitted."""
    principal = request.state.get(_STATE_KEY)
    if principal is None:
        raise RuntimeError(f"{request.url.path}: a handler asked for `staff` without a require_role guard")
    return principal
