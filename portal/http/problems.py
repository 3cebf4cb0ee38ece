"""The one mapping from errors to RFC 9457 ``application/problem+json`` responses.

Every response of an error carries ``type`` (``about:blank``), ``title``, ``status``, ``detail`` and a
stable machine ``code``; when one input is to blame it also names the ``field``. Litestar's problem-details plugin
renders them; this module only decides what each exception becomes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.errors import PortalError

#: Every problem's ``type`` is ``about:blank`` (RFC 9457 §4.2.1): its ``code`` says what went wrong. A URI
#: under a domain the signed policy does not list would teach holders to trust that domain; none is named.
PROBLEM_TYPE = "about:blank"
logger = logging.getLogger("portal.http")

_CODES_BY_STATUS = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    414: "query_too_long",
    415: "unsupported_media_type",
    431: "headers_too_large",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def _problem(status: int, code: str, title: str, detail: str, extra: dict[str, Any],
             headers: dict[str, str] | None = None) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=PROBLEM_TYPE,
        title=title,
        detail=detail,
        extra={"code": code, **extra},
        headers=headers,
    )


# RFC 9457's own members: an error's ``extra`` never overrides them (``status`` is the HTTP status).
_RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code"})


def portal_error_to_problem(exc: PortalError) -> ProblemDetailsException:
    extra: dict[str, Any] = {key: value for key, value in exc.extra.items() if key not in _RESERVED_MEMBERS}
    if exc.field is not None:
        extra["field"] = exc.field
    retry_after = getattr(exc, "retry_after_seconds", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return _problem(exc.status, exc.code, exc.title, exc.detail, extra, headers=headers)


_MESSAGE_FIELD = re.compile(r"(?:at `\$\.([^`]+)`|required field `([^`]+)`)")


def _field_of(key: str | None, message: str = "") -> str | None:
    """The field a validation message is about: ``$.a.b`` paths lose their ``$.``; for the body as a
    whole (``data``) the field named inside msgspec's message is the useful one."""
    found = _MESSAGE_FIELD.search(message)
    if found and (not key or key in ("data", "$")):
        return found.group(1) or found.group(2)
    if not key:
        return None
    return key[2:] if key.startswith("$.") else key


def validation_error_to_problem(exc: ValidationException) -> ProblemDetailsException:
    """Litestar's 400s (body, path, query) name the field and the reason, like our own errors."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append({"field": _field_of(item.get("key"), str(item.get("message", ""))),
                           "reason": str(item.get("message", "")),
                           "source": item.get("source")})
    extra: dict[str, Any] = {"errors": errors}
    if errors:
        first = errors[0]
        extra["field"] = first["field"]
        detail = f"{first['field']}: {first['reason']}" if first["field"] else first["reason"]
    else:
        detail = str(exc.detail)
    return _problem(400, "invalid_request", "Invalid request", detail, extra)


def http_error_to_problem(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, "http_error")
    title = str(exc.detail) if exc.detail else code.replace("_", " ").capitalize()
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if status == 413:
        extra = {"field": "body", **extra}
    headers = dict(exc.headers or {})
    if status == 429 and "Retry-After" not in headers:
        # Litestar's limiter sends RateLimit-* headers; clients and proxies also expect Retry-After.
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "60") or 60)))
    return _problem(status, code, title, str(exc.detail), extra, headers=headers)


def unexpected_error_to_problem(exc: Exception) -> ProblemDetailsException:
    """A bug: logged with its traceback, answered without internals."""
    logger.exception("unhandled error", exc_info=exc)
    return _problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Internal error",
                    "an unexpected error occurred; it has been logged", {})


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                PortalError: portal_error_to_problem,
                ValidationException: validation_error_to_problem,
                HTTPException: http_error_to_problem,
                Exception: unexpected_error_to_problem,
            }
        )
    )


class Problem(msgspec.Struct, frozen=True):
    """RFC 9457 problem details as this service emits them (documentation of the error body)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for a handler's error statuses, all answered as ``application/problem+json``."""
    return {
        status: ResponseSpec(data_container=Problem, media_type="application/problem+json", generate_examples=False,
                             description=_CODES_BY_STATUS.get(status, "error").replace("_", " "))
        for status in statuses
    }
