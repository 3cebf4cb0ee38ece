"""Every ``OPTIONS`` answer's ``Allow`` lists every method its path serves.

Why it exists: when several handlers share one path (``GET`` and ``POST /v1/policies`` have
different guards, so they are different handlers), Litestar (2.25) registers them one at a time.
The first registration adds an automatic ``OPTIONS`` handler whose ``Allow`` is read from that
first route object; each later registration builds a new route but keeps the existing ``OPTIONS``
handler, still bound to the old route, so ``Allow`` named only the first handler's methods
(``OPTIONS /v1/policies`` left out ``GET``). ``complete_allow`` is a ``before_send`` hook: on an
``OPTIONS`` answer it writes ``Allow`` from the app's route map for the matched path, so every path,
today's and any added later, answers with all its methods.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


def allow_of(app: Litestar, path_template: str) -> str | None:
    """The ``Allow`` value of a path: every method of every handler registered on it."""
    methods = {method for route in app.routes if path_template in (route.path, route.path_format)
               for handler in getattr(route, "route_handlers", []) for method in getattr(handler, "http_methods", ())}
    return ", ".join(sorted(methods | {"OPTIONS"})) if methods else None


async def complete_allow(message: Message, scope: Scope) -> None:
    """``before_send``: only ``OPTIONS`` answers pay for the look-up (a walk of the route list). Async:
    Litestar runs a sync hook in a thread, twice per request (issue 20 measured 300 µs of it)."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    allow = allow_of(scope["app"], scope.get("path_template", ""))
    if allow:
        MutableScopeHeaders.from_message(message)["Allow"] = allow
