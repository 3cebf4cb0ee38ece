"""``OPTIONS`` and 405 answers list in ``Allow`` every method a path serves (issue 19.7: ``GET`` and
``POST /v1/policies`` live in different handlers, and ``OPTIONS /v1/policies`` left ``GET`` out)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


def allowed(header: str | None) -> set[str]:
    return {method.strip() for method in (header or "").split(",") if method.strip()}


@pytest.mark.parametrize(("path", "methods"), [
    ("/v1/policies", {"GET", "POST"}),
    ("/v1/policies/roots", {"GET", "POST"}),
])
def test_options_lists_every_method_of_a_path_served_by_several_handlers(client: TestClient, path: str,
                                                                          methods: set[str]) -> None:
    response = client.options(path)
    assert response.status_code in (200, 204)
    assert methods | {"OPTIONS"} <= allowed(response.headers.get("allow"))


def test_a_method_the_path_does_not_serve_is_405_naming_the_ones_it_does(client: TestClient) -> None:
    response = client.delete("/v1/policies")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_single_handler_path_keeps_litestars_own_answer(client: TestClient) -> None:
    assert allowed(client.options("/v1/snapshots").headers.get("allow")) == {"GET", "OPTIONS"}


def test_every_path_of_the_app_lists_all_its_methods(client: TestClient) -> None:
    """Not only the two paths found: every path served by several handlers (``/requests``,
    ``/requests/{id}``, ``/staff/admin/staff`` too), and any added later."""
    app = client.app
    by_path: dict[str, set[str]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            by_path.setdefault(route.path_format, set()).update(handler.http_methods)
    several = {path: methods for path, methods in by_path.items() if len(methods - {"OPTIONS", "HEAD"}) > 1}
    assert {"/v1/policies", "/requests", "/requests/{request_id}", "/staff/admin/staff"} <= set(several)
    for path, methods in several.items():
        url = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000001", path)  # any id parameter
        response = client.options(url)
        assert methods | {"OPTIONS"} <= allowed(response.headers.get("allow")), (path, response.headers)
