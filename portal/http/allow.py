"""An ``OPTIONS`` handler whose ``Allow`` lists every method its path serves.

Why it exists: when several handlers share one path (``GET`` and ``POST /v1/policies`` have
different guards, so they are different handlers), Litestar (2.25) registers them one at a time.
The first registration adds an automatic ``OPTIONS`` handler whose ``Allow`` is read from that
first route object; each later registration builds a new route but keeps the existing ``OPTIONS``
handler, still bound to the old route, so ``Allow`` names only the first handler's methods. An
explicit ``OPTIONS`` handler stops Litestar from adding its own, and this one reads the methods
from the app's route map at request time, so it lists every method registered on the path.
"""

from __future__ import annotations

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_204_NO_CONTENT


def options_handler(path: str) -> HTTPRouteHandler:
    """The ``OPTIONS`` handler of ``path`` (the path exactly as its other handlers declare it)."""

    @route(path, http_method=HttpMethod.OPTIONS, include_in_schema=False, sync_to_thread=False,
           name=f"options:{path}")
    def options(request: Request) -> Response[None]:
        methods = sorted(request.app.route_handler_method_map.get(path, {}))
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(methods)})

    return options
