"""OpenAPI: Litestar generates the document from the handlers; ``openapi.yaml`` is its committed copy."""

from __future__ import annotations

import yaml
from litestar import Litestar
from litestar.openapi import OpenAPIConfig

import portal
from portal.http.pages.assets import OfflineSwaggerRenderPlugin


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="migration-portal",
        version="1.0.0",
        description=(portal.__doc__ or "").strip()
        + "\n\nErrors are RFC 9457 application/problem+json with a stable machine `code`.",
        path="/schema",
        render_plugins=[OfflineSwaggerRenderPlugin()],
        use_handler_docstrings=False,
    )


def openapi_yaml(app: Litestar) -> str:
    """The document as committed: stable key order (as generated), no aliases, UTF-8."""
    schema = app.openapi_schema.to_schema()
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=110)
