"""Control characters are refused at the edge, before any handler (or PostgreSQL) sees them.

PostgreSQL refuses NUL in ``text`` (psycopg raises ``DataError``, which would be a 500), and the other
C0 controls, DEL and the C1 range are never meaningful in an address, a slug, a URL or a token, while
they make logs, CSV exports and staff pages lie. So one ASGI middleware checks, for every request to
a route of the app:

- every string path parameter (``field`` = the parameter's name);
- every query parameter's name and value (``field`` = the parameter's name), declared or not;
- every header value (``field`` = ``header:<name>``; real servers refuse most of these already);
- the body of a route that declares one: JSON (every string and object key, at any depth; ``field``
  = the dotted path, ``signatures[0].signer``, as the validation errors name it) and URL-encoded forms
  (``field`` = the form field's name). Multipart bodies are not inspected.

A hit answers 400 ``application/problem+json`` with code ``control_character`` naming the field.
Only the fields in ``MULTILINE_FIELDS`` (long free text: a decision's ``reason`` and ``public_note``,
a holder's answer ``text``, a policy ``document``, a trust ``root``'s TOML) may carry ``\\n``,
``\\r`` and ``\\t``; a field is matched by the last part of its path. A route whose body is JSON
refuses any other content type (``text/plain`` included) with 415 before the body is read.

How a new route gets this: it does nothing. The plugin (``InputGuardPlugin``, installed by
``create_app``) wraps every route, and documents 400 (and 415 for routes with a body) as
problem+json on every operation of ``openapi.yaml``. A new free-text field that must keep line
breaks is added to ``MULTILINE_FIELDS`` by name. Bodies larger than the route's
``request_max_body_size`` are passed on unread, so Litestar still answers them 413.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.config.app import AppConfig
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.plugins import InitPluginProtocol, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import ControlCharacterError, UnsupportedMediaTypeError
from portal.http.problems import problem_responses

MULTILINE_FIELDS = frozenset({"reason", "public_note", "text", "document", "note", "root"})
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_HEADER = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPES = ("application/json",)


def _describe(char: str) -> str:
    return "NUL" if char == "\x00" else f"U+{ord(char):04X}"


def check_text(field: str, value: str) -> None:
    """Raise ``ControlCharacterError`` when ``value`` holds a control character ``field`` may not."""
    found = _CONTROL.search(value)
    if found is None:  # the common case: one scan, nothing else
        return
    if field.rsplit(".", 1)[-1].split("[", 1)[0] in MULTILINE_FIELDS:
        found = _CONTROL_MULTILINE.search(value)
        if found is None:
            return
    raise ControlCharacterError(
        f"{field} contains the control character {_describe(found.group())} at position {found.start()}",
        field=field)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every ``(field path, string)`` of a decoded JSON value, object keys included."""
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check_json(body: bytes) -> None:
    """Check every string of a JSON body; a body that is not JSON is left for the handler to refuse."""
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return
    for field, text in _strings(decoded, ""):
        check_text(field, text)


def check_pairs(pairs: list[tuple[str, str]], name_field: str) -> None:
    for name, value in pairs:
        check_text(name_field, name)
        check_text(name, value)


def _body_encoding(handler: HTTPRouteHandler) -> RequestEncodingType | str | None:
    """The media type of the handler's ``data`` parameter (JSON when not said), or None without one."""
    parameter = handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return None
    definition = parameter.kwarg_definition
    return getattr(definition, "media_type", None) or RequestEncodingType.JSON


def _is_json(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main in _JSON_TYPES or (main.startswith("application/") and main.endswith("+json"))


class InputGuardMiddleware:
    """The ASGI layer described in the module docstring; one per route, built by Litestar."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("path_params", {}).items():
            if isinstance(value, str):
                check_text(name, value)
        query = scope.get("query_string", b"")
        if query:
            check_pairs(parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                  errors="replace"), "query")
        headers = scope.get("headers", ())
        if _CONTROL_HEADER.search(b"\t".join(value for _, value in headers)):  # one scan; name the header after
            name = next(name for name, value in headers if _CONTROL_HEADER.search(value)).decode("latin-1")
            raise ControlCharacterError(f"header {name} contains a control character", field=f"header:{name}")
        handler = scope.get("route_handler") if scope["method"] in _BODY_METHODS else None
        encoding = _body_encoding(handler) if isinstance(handler, HTTPRouteHandler) else None
        if encoding is None:
            await self.app(scope, receive, send)
            return
        await self._guard_body(scope, receive, send, handler, encoding)  # type: ignore[arg-type]

    async def _guard_body(self, scope: Scope, receive: Receive, send: Send, handler: HTTPRouteHandler,
                          encoding: RequestEncodingType | str) -> None:
        header_map = {name.lower(): value for name, value in scope.get("headers", ())}
        content_type = header_map.get(b"content-type", b"").decode("latin-1")
        declared_length = header_map.get(b"content-length")
        limit = handler.resolve_request_max_body_size() or 0
        if declared_length is not None and declared_length.strip().isdigit() and limit \
                and int(declared_length) > limit:
            await self.app(scope, receive, send)  # Litestar answers 413 without reading it all
            return
        buffered: list[Message] = []
        size, complete = 0, False
        while not complete:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            complete = not message.get("more_body", False)
            if limit and size > limit:
                break
        body = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
        if complete and body:
            if encoding == RequestEncodingType.JSON:
                if not _is_json(content_type):
                    raise UnsupportedMediaTypeError(
                        f"this route takes application/json, not {content_type or 'a body without a content type'}",
                        field="content-type")
                check_json(body)
            elif encoding == RequestEncodingType.URL_ENCODED:
                check_pairs(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True), "body")

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)


class InputGuardPlugin(InitPluginProtocol, ReceiveRoutePlugin):
    """Installs ``InputGuardMiddleware`` on every route and documents its answers in the OpenAPI."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware = [*app_config.middleware, InputGuardMiddleware]
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, _ in route.route_handler_map.values():
            statuses = [400, 415] if _body_encoding(handler) == RequestEncodingType.JSON else [400]
            missing = [status for status in statuses if status not in (handler.responses or {})]
            if missing:
                handler.responses = {**(handler.responses or {}), **problem_responses(*missing)}
