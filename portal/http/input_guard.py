"""Hostile input is refused at the edge, bounded before it is parsed, before any handler (or PostgreSQL) sees it.

Bounds (issue 19: one 60 KB body of nested brackets overflowed the C stack and killed the worker,
because ``py_ecc`` and py-evm raise Python's recursion limit to 100,000 at import and msgspec's
decoder trusts it). Every bound answers problem+json naming the field, in microseconds:

- a body larger than its route's ``request_max_body_size`` (the app's default is
  ``DEFAULT_MAX_BODY_BYTES``; routes that take a document or a long text set their own) is passed on
  unread, so Litestar answers 413 without reading it all;
- a JSON body nested deeper than ``MAX_JSON_DEPTH`` is 400 ``too_deep``, found by a linear scan of
  the raw bytes before anything decodes it (``json_too_deep``), never by recursion;
- a query string longer than ``MAX_QUERY_BYTES`` is 414 ``query_too_long``; more than
  ``MAX_FIELDS`` query or form fields is 400 ``too_many_fields``;
- more than ``MAX_HEADERS`` headers or ``PORTAL_MAX_HEADER_BYTES`` of them is 431 ``headers_too_large``
  (the server bounds the head first, see ``portal/cli/uvicorn_bounded.py``; this holds behind any
  server).

Control characters: PostgreSQL refuses NUL in ``text`` (psycopg raises ``DataError``, which would be
a 500), and the other C0 controls, DEL, the C1 range and lone surrogates are never meaningful in an
address, a slug, a URL or a token, while they make logs, CSV exports and staff pages lie. So one ASGI
middleware checks, for every request to a route of the app:

- every string path parameter (``field`` = the parameter's name);
- every query parameter's name and value (``field`` = the parameter's name), declared or not;
- every header value (``field`` = ``header:<name>``): C0 but tab, DEL, and the bytes 0x80-0x9F,
  which are C1 controls as the app reads headers (Latin-1, as HTTP defines them);
- the body of a route that declares one: JSON (every string and object key, at any depth; ``field``
  = the dotted path, ``signatures[0].signer``, as the validation errors name it) and URL-encoded forms
  (``field`` = the form field's name). Multipart bodies are not inspected.

A hit answers 400 ``application/problem+json`` with code ``control_character`` naming the field.
Only the fields in ``MULTILINE_FIELDS`` (long free text: a decision's ``reason`` and ``public_note``,
a holder's answer ``text``, a policy ``document``, a trust ``root``'s TOML) may carry ``\\n``,
``\\r`` and ``\\t``; a field is matched by the last part of its path. A route whose body is JSON
refuses any other content type (``text/plain`` included) with 415 before the body is read.

How a new route gets this: it does nothing. The plugin (``InputGuardPlugin``, installed by
``create_app``) wraps every route, and documents 400 (and 413 and 415 for routes with a body) as
problem+json on every operation of ``openapi.yaml``. A new free-text field that must keep line
breaks is added to ``MULTILINE_FIELDS`` by name; a route whose documented body is larger than
``DEFAULT_MAX_BODY_BYTES`` says so with ``request_max_body_size`` on its decorator.
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
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPluginProtocol, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import (
    ControlCharacterError,
    HeadersTooLargeError,
    QueryTooLongError,
    TooDeepError,
    TooManyFieldsError,
    UnsupportedMediaTypeError,
)
from portal.http.problems import problem_responses

# The deepest documented body is a policy publish (object > signatures array > signature object):
# depth 3. 32 leaves room for any honest client and none for a stack-eating one.
MAX_JSON_DEPTH = 32
# Every route's body but the few that set their own: a proof (8 KB signature) or a decision (two
# 2,000-character texts, escaped) fits with room to spare.
DEFAULT_MAX_BODY_BYTES = 32 * 1024
# A 2,048-character URL to check fits even when every character is 4 bytes of UTF-8, percent-encoded.
MAX_QUERY_BYTES = 2048 * 12 + 1024
MAX_FIELDS = 64                 # query or form fields; no route reads more than a dozen
MAX_HEADERS = 100

MULTILINE_FIELDS = frozenset({"reason", "public_note", "text", "document", "note", "root", "entries"})
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_HEADER = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPES = ("application/json",)
# A JSON string, escapes included; the closing quote is optional so an unterminated string is
# consumed once (to the end) instead of being retried from every later quote. Possessive, so linear.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def _describe(char: str) -> str:
    if char == "\x00":
        return "NUL"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate U+{ord(char):04X}"
    return f"U+{ord(char):04X}"


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


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``limit`` arrays or objects inside each other.

    Linear in the body and never recursive: strings (where brackets mean nothing) are cut out by one
    regular expression, then the brackets left are counted with an early exit. A body with no more
    than ``limit`` opening brackets in all cannot be too deep, which is every honest body but a long
    text full of Markdown links: that case costs one ``count``.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(field path, string)`` of a decoded JSON value, object keys included, in document order;
    iterative, so no input can make it recurse."""
    stack: list[tuple[Any, str, bool]] = [(value, "", False)]   # (item, path, item is a key)
    while stack:
        item, path, is_key = stack.pop()
        if is_key or isinstance(item, str):
            yield path or "body", str(item)
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                child_path = f"{path}.{key}" if path else str(key)
                stack.append((child, child_path, False))
                stack.append((key, child_path, True))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", False) for index, child in reversed(list(enumerate(item))))


def check_json(body: bytes) -> None:
    """Bound the depth, then check every string of a JSON body; a body that is not JSON is left for
    the handler to refuse."""
    if json_too_deep(body):
        raise TooDeepError(f"the body nests arrays or objects more than {MAX_JSON_DEPTH} deep; no request "
                           "of this API does", field="body")
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return
    for field, text in _strings(decoded):
        check_text(field, text)


def parse_fields(text: str, where: str) -> list[tuple[str, str]]:
    """``parse_qsl`` with a bound on the number of fields (``where`` is ``query`` or ``body``)."""
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace",
                         max_num_fields=MAX_FIELDS)
    except ValueError:
        raise TooManyFieldsError(f"the {where} has more than {MAX_FIELDS} fields", field=where) from None


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

    def __init__(self, app: ASGIApp, max_header_bytes: int = 32 * 1024) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("path_params", {}).items():
            if isinstance(value, str):
                check_text(name, value)
        query = scope.get("query_string", b"")
        if query:
            if len(query) > MAX_QUERY_BYTES:
                raise QueryTooLongError(f"the query string is {len(query)} bytes; the most any route reads is "
                                        f"{MAX_QUERY_BYTES}", field="query")
            check_pairs(parse_fields(query.decode("latin-1"), "query"), "query")
        headers = scope.get("headers", ())
        joined = b"\t".join(value for _, value in headers)
        if len(headers) > MAX_HEADERS or len(joined) > self.max_header_bytes:
            raise HeadersTooLargeError(f"{len(headers)} headers of {len(joined)} bytes; at most {MAX_HEADERS} "
                                       f"headers of {self.max_header_bytes} bytes in all", field="headers")
        if _CONTROL_HEADER.search(joined):  # one scan; name the header after
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
                check_pairs(parse_fields(body.decode("utf-8", "replace"), "body"), "body")

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)


class InputGuardPlugin(InitPluginProtocol, ReceiveRoutePlugin):
    """Installs ``InputGuardMiddleware`` on every route and documents its answers in the OpenAPI."""

    def __init__(self, max_header_bytes: int) -> None:
        self.max_header_bytes = max_header_bytes   # the server's bound (PORTAL_MAX_HEADER_BYTES), held here too

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware = [*app_config.middleware,
                                 DefineMiddleware(InputGuardMiddleware, max_header_bytes=self.max_header_bytes)]
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, _ in route.route_handler_map.values():
            encoding = _body_encoding(handler)
            statuses = [400, 413, 415] if encoding == RequestEncodingType.JSON else [400, 413] if encoding else [400]
            missing = [status for status in statuses if status not in (handler.responses or {})]
            if missing:
                handler.responses = {**(handler.responses or {}), **problem_responses(*missing)}
