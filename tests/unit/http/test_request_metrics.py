"""RouteMetricsMiddleware records what Litestar's PrometheusMiddleware records, per route template.

A bare app (no database) with the portal's Prometheus configuration; figures are read back from the
process-wide registry as deltas, so other tests' traffic in the same process does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar, get
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from portal.http.fast.request_metrics import RouteMetricsMiddleware


@get("/things/{name:str}", sync_to_thread=False)
def thing(name: str = Parameter()) -> dict[str, str]:
    if name == "bad":
        raise ValidationException("bad thing")
    if name == "boom":
        raise RuntimeError("boom")
    return {"name": name}


def _value(metric: str, path: str, status: int, method: str = "GET") -> float:
    labels = {"method": method, "path": path, "status_code": str(status), "app_name": "portal"}
    return REGISTRY.get_sample_value(metric, labels) or 0.0


@pytest.fixture
def client() -> Iterator[TestClient]:
    config = PrometheusConfig(app_name="portal", prefix="portal", group_path=True, exclude=["/metrics"],
                              middleware_class=RouteMetricsMiddleware)
    app = Litestar([thing, PrometheusController], middleware=[config.middleware], debug=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_counts_durations_and_errors_by_route_template_and_status(client: TestClient) -> None:
    template = "/things/{name}"
    before = {status: (_value("portal_requests_total", template, status),
                       _value("portal_request_duration_seconds_count", template, status),
                       _value("portal_requests_error_total", template, status)) for status in (200, 400, 500)}
    for name in ("a", "b", "c", "bad", "boom"):
        client.get(f"/things/{name}")
    after = {status: (_value("portal_requests_total", template, status),
                      _value("portal_request_duration_seconds_count", template, status),
                      _value("portal_requests_error_total", template, status)) for status in (200, 400, 500)}
    assert [a - b for a, b in zip(after[200], before[200], strict=True)] == [3, 3, 0]
    assert [a - b for a, b in zip(after[400], before[400], strict=True)] == [1, 1, 0]
    assert [a - b for a, b in zip(after[500], before[500], strict=True)] == [1, 1, 1]
    assert _value("portal_requests_in_progress", template, 200) == 0
    exposition = client.get("/metrics").text
    assert 'portal_requests_total{app_name="portal",method="GET",path="/things/{name}",status_code="200"}' \
        in exposition
    assert "/things/a" not in exposition  # a path parameter never becomes a label value


def test_metrics_route_itself_is_excluded(client: TestClient) -> None:
    before = _value("portal_requests_total", "/metrics", 200)
    client.get("/metrics")
    assert _value("portal_requests_total", "/metrics", 200) == before


def test_configurations_outside_the_fast_path_use_litestars_implementation() -> None:
    config = PrometheusConfig(app_name="portal", prefix="portal", group_path=False, exclude=["/metrics"],
                              middleware_class=RouteMetricsMiddleware)
    app = Litestar([thing], middleware=[config.middleware], debug=False)
    before = _value("portal_requests_total", "/things/zed", 200)
    with TestClient(app) as test_client:
        test_client.get("/things/zed")
    assert _value("portal_requests_total", "/things/zed", 200) == before + 1
