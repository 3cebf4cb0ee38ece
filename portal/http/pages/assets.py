"""Static files under ``/static/`` from the package, and ``/schema`` rendered without any CDN.

Assets are cached for a day (``static_url`` adds a content hash, so a changed file is a new URL).
The icon is ``static/favicon.svg`` (linked by every page) and ``/favicon.ico`` (asked for by browsers).
The OpenAPI page is Swagger UI from ``static/vendor/swagger-ui`` (vendored by
``portal/http/vendor_src/vendor.sh``), started by a same-origin module instead of inline script,
so it renders offline under the same strict CSP as every other page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

from portal.http.templating import STATIC_DIRECTORY, STATIC_PATH, static_url

STATIC_MAX_AGE_SECONDS = 86_400
FAVICON_BYTES = (STATIC_DIRECTORY / "favicon.ico").read_bytes()


def static_router() -> Router:
    return create_static_files_router(
        path=STATIC_PATH, directories=[STATIC_DIRECTORY], name="static", include_in_schema=False,
        cache_control=CacheControlHeader(public=True, max_age=STATIC_MAX_AGE_SECONDS))


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False,
     cache_control=CacheControlHeader(public=True, max_age=STATIC_MAX_AGE_SECONDS))
def favicon() -> Response[bytes]:
    """The icon browsers ask for at the root whatever a page links (pages link ``static/favicon.svg``)."""
    return Response(FAVICON_BYTES, media_type="image/x-icon")


class OfflineSwaggerRenderPlugin(OpenAPIRenderPlugin):
    """Swagger UI from this origin: no CDN, no inline script (the spec is fetched from ``openapi.json``)."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(request.app.openapi_config.path.rstrip("/") + "/openapi.json")  # type: ignore[union-attr]
        return (
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title>"
            f"<link rel=\"stylesheet\" href=\"{static_url('vendor/swagger-ui/swagger-ui.css')}\"></head>"
            f"<body><div id=\"swagger-ui\" data-spec-url=\"{spec_url}\"></div>"
            f"<script src=\"{static_url('vendor/swagger-ui/swagger-ui-bundle.js')}\"></script>"
            f"<script src=\"{static_url('js/schema.js')}\"></script></body></html>\n"
        ).encode()
