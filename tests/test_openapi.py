"""openapi.yaml is generated from the app and committed; this fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from portal.cli.openapi import generated_openapi

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_committed_openapi_matches_the_app() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == generated_openapi(), (
        "openapi.yaml is stale: run `portal openapi --out openapi.yaml` and commit it"
    )


def test_every_operation_has_an_operation_id() -> None:
    import yaml

    document = yaml.safe_load(generated_openapi())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
