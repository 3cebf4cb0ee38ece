"""Schemathesis against the app in process: no 5xx, and every answer matches the committed openapi.yaml.

The cases are generated from ``openapi.yaml`` as committed (not from the live app), so a drift
between the code and the document fails here: an undocumented status code, a content type the
document does not name, a body that does not match its schema, a missing documented header. The
app runs on a real database with the demo snapshots, a published demo policy and seeded review
requests; every case carries an admin's staff token, so the staff routes are exercised past their
guards. Hypothesis is derandomised (the same cases every run, so CI cannot flake) and bounded by
``EXAMPLES_PER_OPERATION`` (valid cases, and invalid ones that must
be refused with a documented 4xx); the figures are printed (``pytest -s``) and the test fails listing each
failing operation with a curl line that reproduces it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import hypothesis.errors
import msgspec
import pytest
import schemathesis
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.app import create_app
from portal.demo.demo_policy import publish_demo_policy
from portal.settings import Settings
from tests.conftest import REPO_ROOT
from tests.integration.staff_helpers import bearer, create_key, seed_requests

EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
# Any text is a valid value of their only input (an unconstrained path string), so hypothesis would
# spend seconds proving no invalid case exists; the guard's answers to bad text are in test_input_guard.
NO_INVALID_INPUT = frozenset({"GET /v1/eligibility/{address}", "GET /v1/requests/{request_id}"})
@schemathesis.check
def no_server_error_but_an_unset_node(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """``not_a_server_error``, except the one 5xx the contract documents as an answer: 503
    ``rpc_unavailable`` for a method whose node this server is set up without (the fuzzed server has no
    RPC, since nothing outside the process runs here; any other 5xx still fails)."""
    if response.status_code == 503 and msgspec.json.decode(response.content).get("code") == "rpc_unavailable":
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error_but_an_unset_node, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# A request the document calls valid must not be refused as malformed (issue 19: 19 were). 422 is
# "well-formed, but cannot be honoured" (not eligible, signatures short of the threshold), 410 an
# expired challenge. What a JSON Schema cannot say is listed here, with why; nothing else may 400.
ACCEPTED_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]
SCHEMA_CANNOT_SAY = {
    "GET /v1/eligibility/{address}": "an EIP-55 checksum, and base58 that decodes to exactly 32 bytes",
    "POST /v1/challenges": "an EIP-55 checksum, and base58 that decodes to exactly 32 bytes",
    "GET /v1/review/requests": "the cursor is opaque: only a next_cursor the server issued is one",
    "GET /v1/allowlist": "which formats each destination chain has (distributor-json is Solana's)",
    "GET /v1/review/cases": "the cursor is opaque; an address's EIP-55 checksum",
    "GET /v1/corrections": "the cursor is opaque: only a (decided_at, case_id) the server issued is one",
}
# Operations whose answers are not API documents: the OpenAPI renderers and static files.
SKIPPED_PATH_PREFIXES = ("/schema",)


@pytest.fixture
def fuzz_client(settings: Settings, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    root = publish_demo_policy(database_url, tmp_path, public_url=settings.public_url, now=dt.datetime.now(dt.UTC))
    seed_requests(database_url, 5)
    configured = msgspec.structs.replace(settings, policy_root=str(root), audit_checkpoint_file=str(
        tmp_path / "checkpoints.jsonl"))
    with TestClient(app=create_app(configured)) as client:
        yield client


@pytest.mark.slow
def _leaves(exc: BaseException) -> list[str]:
    """Each innermost exception of ``exc``'s groups as "Type: message" (a Flaky failure wraps the check's
    failure group, whose own text is empty)."""
    nested = getattr(exc, "exceptions", None)
    if not nested:
        return [f"{type(exc).__name__}: {str(exc).strip()[:600]}"]
    return [leaf for inner in nested for leaf in _leaves(inner)]


def test_api_matches_the_committed_openapi(fuzz_client: TestClient, database_url: str) -> None:
    config = SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_STATUSES}}})
    schema = schemathesis.openapi.from_path(REPO_ROOT / "openapi.yaml", config=config)
    headers = bearer(create_key(database_url, "fuzz-admin", "admin"))
    requests, failures, operations = 0, [], 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED_PATH_PREFIXES):
            continue
        operations += 1
        for mode, examples in EXAMPLES_PER_OPERATION.items():
            accepts = mode == GenerationMode.POSITIVE and operation.label not in SCHEMA_CANNOT_SAY
            checks = [*CHECKS, *([positive_data_acceptance] if accepts else [])]

            @hypothesis.settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                                 suppress_health_check=list(hypothesis.HealthCheck),
                                 phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                nonlocal requests
                kwargs = case.as_transport_kwargs(base_url="http://testserver.local", headers=headers)
                for unused in ("verify", "cert", "cookies"):
                    if not kwargs.get(unused):
                        kwargs.pop(unused, None)
                if isinstance(kwargs.get("data"), bytes | str):  # raw bodies (negative cases) go as content
                    kwargs["content"] = kwargs.pop("data")
                response = fuzz_client.request(**kwargs)
                requests += 1
                case.validate_response(response, checks=checks)  # noqa: B023 (run() is called in this iteration)

            if mode == GenerationMode.NEGATIVE and operation.label in NO_INVALID_INPUT:
                continue
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                continue  # no invalid input exists (an operation without parameters or body)
            except (Exception, BaseExceptionGroup) as exc:  # each failure is reported, the other operations still run
                inner = "; ".join(_leaves(exc))  # a flaky one's cause: every nested failure, named
                failures.append(f"{operation.label} ({mode.value}): {str(exc).strip()[:1500]} {inner}")
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {operations} operations, {requests} requests, {len(failures)} failing operations, "
          f"{elapsed:.1f} s")
    assert operations >= 25, "the document lost its operations?"
    assert not failures, "\n\n".join(failures)
