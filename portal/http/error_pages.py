"""404 and 405 as pages for browsers, problem+json for everyone else.

A browser that asks for HTML (``Accept`` names ``text/html``) and is answered 404 or 405 outside the
API (``/v1``, ``/schema``, ``/metrics``, ``/health``, ``/ready``, ``/static``) gets a page in the
holders' layout, in words, with the ways on: the start page, the request lookup, the signed policy
(and, under ``/staff``, the console's start page). Every other client, and every API path, keeps
the problem+json it was answered before (``portal.http.problems``), same status, same headers.

Registered as app-level exception handlers for the exceptions that make those statuses (Litestar's
routing ``NotFoundException`` and ``MethodNotAllowedException``, and the domain's ``NotFoundError``
raised by a page handler): Litestar picks the most specific handler, so these win over the
problem-details plugin's ``HTTPException`` and ``PortalError`` entries, and route-level handlers
(the console's own error pages) still win over them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException

from portal.errors import NotFoundError, PortalError
from portal.http import csp
from portal.http.copy import http_errors
from portal.http.pages.layout import render_page
from portal.http.problems import http_error_to_problem, portal_error_to_problem

API_PREFIXES = ("/v1/", "/v1", "/schema", "/metrics", "/health", "/ready", "/static/")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
STAFF_PREFIX = "/staff"


class ErrorPage(msgspec.Struct, frozen=True):
    status: int
    heading: str
    explanation: str
    staff: bool


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """True for a browser asking for a page: ``text/html`` named with a non-zero q, outside the API."""
    path = request.scope["path"]
    if path == "/v1" or path.startswith(API_PREFIXES):
        return False
    for part in request.headers.get("accept", "").split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        if media_type.lower() in HTML_TYPES and not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000")
                                                        for p in params):
            return True
    return False


def html_error(request: Request[Any, Any, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    page = ErrorPage(status, http_errors.HEADINGS[status], http_errors.EXPLANATIONS[status],
                     request.scope["path"].startswith(STAFF_PREFIX))
    rendered = render_page(request.app.state, "http_error.html", page.heading, page, hot="render")
    # Unknown paths never reach the route middleware that adds these to every other page.
    all_headers = {**csp.security_headers(walletconnect=False, forms=False), **(headers or {}),
                   "Cache-Control": "no-store"}
    return Response(rendered.body, status_code=status, media_type="text/html; charset=utf-8", headers=all_headers)


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response:
    if wants_html(request):
        return html_error(request, exc.status_code, dict(exc.headers or {}))
    return http_error_to_problem(exc).to_response(request)


def _portal_not_found(request: Request[Any, Any, Any], exc: PortalError) -> Response:
    if wants_html(request):
        return html_error(request, 404)
    return portal_error_to_problem(exc).to_response(request)


EXCEPTION_HANDLERS = {
    NotFoundException: _http_exception,
    MethodNotAllowedException: _http_exception,
    NotFoundError: _portal_not_found,
}
