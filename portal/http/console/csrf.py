"""The console's CSRF defence: a token bound to the server-side session, and the request's origin.

Why not Litestar's double-submit cookie: it accepts any cookie and token that match each other, so
whoever can plant a cookie for this host (a sibling subdomain, a plain-http answer on their network)
pairs it with a token of their own and posts with the victim's session. Here nothing the browser
holds besides the session itself makes a token valid:

- signed in, the token is ``HMAC(PORTAL_CSRF_SECRET, "session" | session id)``: it is derived from the
  HttpOnly session cookie and checked against it (``hmac.compare_digest``), so a token of another
  session, or any cookie the attacker brings, is refused. Nothing is stored; the secret is random per
  app when unset (set it when several replicas serve ``/staff``).
- the sign-in form has no session yet. Its token is bound the same way to a short-lived pre-session
  cookie (random, HttpOnly, ``SameSite=Strict``, ``__Host-`` and ``Secure`` on https so no sibling
  host can set it), made when the sign-in page is shown and cleared at sign-in. The origin check
  below is what stops login CSRF from another site; the bound token is the second lock, and keeps
  one form shape for every console form (``_csrf_token``, filled by the templates' ``csrf_token()``).
- every state-changing console request must also come from this service's own origin
  (``PORTAL_PUBLIC_URL``): the ``Origin`` header when the browser sends a real one; when it is absent
  or ``null`` (Chromium sends ``null`` on a same-origin POST from a page with ``Referrer-Policy:
  no-referrer``, which ours have), ``Sec-Fetch-Site: same-origin`` or a same-origin ``Referer``. With
  no such evidence the request is refused: a browser always sends one of them.

A refusal is a 403 ``application/problem+json`` (code ``csrf_failed``, the failing ``field``), as
Litestar's middleware answered before, and nothing behind it runs; a browser asking for HTML gets the
console's error page instead, with its ways on (``render.error_page``). The middleware also marks every
console response ``Cache-Control: no-store``: console pages show holders' data and per-session tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie, FormMultiDict, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from portal.errors import PermissionDeniedError
from portal.http.console.session import CONSOLE_PATH, MAX_SESSION_ID_CHARS, SIGN_IN_PATH, cookie_name, is_secure
from portal.http.error_pages import wants_html
from portal.http.problems import portal_error_to_problem
from portal.settings import Settings

FORM_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRE_SESSION_MAX_AGE_SECONDS = 3600  # an hour to type the key in; the cookie is cleared at sign-in
PRE_SESSION_BYTES = 32
MAX_TOKEN_CHARS = 100
_STATE_KEY = "portal_console_csrf"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CsrfRefusedError(PermissionDeniedError):
    code, title = "csrf_failed", "Cross-site request refused"


def _token(secret: bytes, purpose: bytes, bound_to: str) -> str:
    digest = hmac.new(secret, purpose + b"\x00" + bound_to.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower case, the scheme's default port dropped; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def same_origin_evidence(headers: Any, own_origin: str) -> bool:
    """True when the request says it came from ``own_origin`` (see the module docstring for the order)."""
    origin = headers.get("origin")
    if origin is not None and origin.strip() != "null":
        return origin_of(origin) == own_origin
    if headers.get("sec-fetch-site") == "same-origin":
        return True
    referer = headers.get("referer")
    return referer is not None and origin_of(referer) == own_origin


def pre_session_cookie_name(settings: Settings) -> str:
    return "__Host-portal_sign_in" if is_secure(settings) else "portal_sign_in"


def _pre_session_cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(key=pre_session_cookie_name(settings), value=value, path="/", httponly=True, samesite="strict",
                  secure=is_secure(settings), max_age=max_age)


def cleared_pre_session_cookie(settings: Settings) -> Cookie:
    return _pre_session_cookie(settings, "", 0)


@dataclass(frozen=True)
class _Binding:
    """What this request's forms are bound to; kept on the scope for the handlers that show sign-in."""

    secret: bytes
    settings: Settings
    session_id: str | None
    pre_session: str | None

    def session_token(self) -> str | None:
        return None if self.session_id is None else _token(self.secret, b"session", self.session_id)

    def sign_in_token(self) -> str | None:
        return None if self.pre_session is None else _token(self.secret, b"sign-in", self.pre_session)


def _cookie(request: Request, name: str) -> str | None:
    value = request.cookies.get(name)
    return value if value and len(value) <= MAX_SESSION_ID_CHARS else None


def sign_in_form(request: Request) -> list[Cookie]:
    """Call before rendering the sign-in page: its form gets the pre-session token, and the cookies
    returned (a new pre-session cookie when the browser has none) must go out with the page."""
    binding: _Binding = request.scope["state"][_STATE_KEY]
    cookies = []
    if binding.pre_session is None:
        binding = _Binding(binding.secret, binding.settings, binding.session_id,
                           secrets.token_urlsafe(PRE_SESSION_BYTES))
        request.scope["state"][_STATE_KEY] = binding
        cookies.append(_pre_session_cookie(binding.settings, binding.pre_session or "",
                                           PRE_SESSION_MAX_AGE_SECONDS))
    ScopeState.from_scope(request.scope).csrf_token = binding.sign_in_token() or ""
    return cookies


def is_console_path(path: str) -> bool:
    return path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")


class ConsoleCsrfMiddleware:
    """Raw ASGI middleware on ``/staff``: checks unsafe requests, binds forms, marks responses no-store."""

    def __init__(self, app: ASGIApp, settings: Settings, secret: str) -> None:
        self.app = app
        self.settings = settings
        self.secret = secret.encode("utf-8")
        self.own_origin = origin_of(settings.public_url)
        self.session_cookie = cookie_name(settings)
        self.pre_session_cookie = pre_session_cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        request: Request = Request(scope, receive)
        binding = _Binding(self.secret, self.settings, _cookie(request, self.session_cookie),
                           _cookie(request, self.pre_session_cookie))
        scope.setdefault("state", {})[_STATE_KEY] = binding
        ScopeState.from_scope(scope).csrf_token = binding.session_token() or binding.sign_in_token() or ""
        if scope["method"] not in SAFE_METHODS:
            refusal = await self._refusal(request, binding)
            if refusal is not None:
                if (form_data := ScopeState.from_scope(scope).form) is not Empty:
                    await FormMultiDict.from_form_data(form_data).close()  # uploads no handler will close
                if wants_html(request):
                    raise refusal  # a browser gets the console's error page, in words, with its ways on
                problem = portal_error_to_problem(refusal)
                problem.headers = {**(problem.headers or {}), "Cache-Control": "no-store"}
                raise problem
        await self.app(scope, receive, _no_store(send))

    async def _refusal(self, request: Request, binding: _Binding) -> CsrfRefusedError | None:
        if self.own_origin is None or not same_origin_evidence(request.headers, self.own_origin):
            return CsrfRefusedError("this form must be sent from the console's own pages (the request's "
                                    "Origin is another site, or it carries no origin at all)", field="origin")
        expected = binding.sign_in_token() if request.scope["path"] == SIGN_IN_PATH else binding.session_token()
        presented = await _presented_token(request)
        if expected is None or presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
            return CsrfRefusedError("the form's CSRF token is missing or is not this session's; reload the page "
                                    "and send the form again", field=FORM_FIELD)
        return None


async def _presented_token(request: Request) -> str | None:
    content_type, _ = request.content_type
    if content_type not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return None
    form = await request.form()
    values = form.getall(FORM_FIELD, []) if hasattr(form, "getall") else [form.get(FORM_FIELD)]
    value = values[0] if len(values) == 1 else None
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_CHARS else None


def _no_store(send: Send) -> Send:
    async def send_no_store(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            headers["Cache-Control"] = "no-store"
        await send(message)

    return send_no_store


def csrf_middleware(settings: Settings) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])``; one secret per app unless ``PORTAL_CSRF_SECRET``."""
    return DefineMiddleware(ConsoleCsrfMiddleware, settings=settings,
                            secret=settings.csrf_secret or secrets.token_urlsafe(32))
