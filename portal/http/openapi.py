"""OpenAPI: Litestar generates the document from the handlers; ``openapi.yaml`` is its committed copy."""

from __future__ import annotations

from typing import Any

import yaml
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI, OpenAPIType, Parameter, Reference, RequestBody, Schema

import portal
from portal.domain.proofs import registry
from portal.http.cases import EVIDENCE_PATTERN
from portal.http.input_guard import MULTILINE_FIELDS
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
    schema = tighten(app.openapi_schema).to_schema()
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=110)


# What the input guard refuses, said in the document, so that a client generated from it (or a
# schemathesis run) never sends a value the schema allows and the code refuses (issue 19). Only the
# inputs get these: answers carry messages and documents with line breaks.
SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
MULTILINE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
# The address forms (an EVM checksum or a base58 key's length in bytes are checked beyond this).
# The zero address is nobody's (refused as a snapshot address and as a destination).
ADDRESS_PATTERN = "^(?!0x0{40}$)(0x[0-9a-fA-F]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$"
_FIELD_PATTERNS = {"address": ADDRESS_PATTERN, "destination": ADDRESS_PATTERN,
                   "evidence": EVIDENCE_PATTERN}  # a case's transactions (Litestar drops an item's own pattern)
# Bodies whose rules one field's schema cannot say: which fields go together.
_PROOF_FIELDS = ("signature", "tx_hash", "signed_transaction")
_EXACTLY_ONE_PROOF = [Schema(required=[field], properties={field: Schema(type=OpenAPIType.STRING)})
                      for field in _PROOF_FIELDS]
_BODY_RULES: dict[str, dict[str, Any]] = {
    "ProofCreate": {"one_of": _EXACTLY_ONE_PROOF},
    "CaseCreate": {"one_of": _EXACTLY_ONE_PROOF},  # issue 23
    "CaseDecisionCreate": {"schema_if": Schema(properties={"outcome": Schema(enum=["upheld"])}),
                           "then": Schema(required=["amount"], properties={"amount": Schema(type=OpenAPIType.STRING)}),
                           "schema_else": Schema(properties={"amount": Schema(type=OpenAPIType.NULL)})},
    "AnswerCreate": {"schema_if": Schema(required=["challenge_id"], properties={
                         "challenge_id": Schema(type=OpenAPIType.STRING)}),
                     "then": Schema(one_of=_EXACTLY_ONE_PROOF),
                     "dependent_schemas": {field: Schema(required=["challenge_id"], properties={
                         "challenge_id": Schema(type=OpenAPIType.STRING)}) for field in _PROOF_FIELDS}},
    "DecisionCreate": {"schema_if": Schema(properties={"decision": Schema(enum=["reject", "needs_info"])}),
                       "then": Schema(required=["reason"], properties={
                           "reason": Schema(type=OpenAPIType.STRING, min_length=1, pattern="\\S")})},
    # the method must be one of the snapshot address's chain
    "ChallengeCreate": {"schema_if": Schema(properties={"address": Schema(pattern="^0x")}),
                        "then": Schema(properties={"method": Schema(enum=sorted(registry.names_for("evm")))}),
                        "schema_else": Schema(properties={
                            "method": Schema(enum=sorted(registry.names_for("solana")))})},
}


def tighten(document: OpenAPI) -> OpenAPI:
    """Add the input guard's rules to every request schema of ``document``, in place; idempotent."""
    components = (document.components.schemas or {}) if document.components else {}
    seen: set[str] = set()

    def visit(node: Schema | Reference | None, field: str) -> None:
        if isinstance(node, Reference):
            name = node.ref.rsplit("/", 1)[-1]
            if name not in seen and name in components:
                seen.add(name)
                for attribute, value in _BODY_RULES.get(name, {}).items():
                    setattr(components[name], attribute, value)
                if components[name].type == OpenAPIType.OBJECT and components[name].properties:
                    components[name].additional_properties = False   # every input Struct forbids unknown fields
                visit(components[name], field)
            return
        if node is None:
            return
        types = node.type if isinstance(node.type, list) else [node.type]
        if OpenAPIType.STRING in types and node.pattern is None and node.enum is None and node.format is None:
            node.pattern = _FIELD_PATTERNS.get(field) or (
                MULTILINE_PATTERN if field in MULTILINE_FIELDS else SINGLE_LINE_PATTERN)
        for name, child in (node.properties or {}).items():
            visit(child, name)
        for child in [*(node.one_of or []), *(node.any_of or []), *(node.all_of or [])]:
            visit(child, field)
        if isinstance(node.items, Schema | Reference):
            visit(node.items, field)

    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            for parameter in operation.parameters or []:
                if isinstance(parameter, Parameter):
                    visit(parameter.schema, parameter.name)
            body = operation.request_body
            if isinstance(body, RequestBody):
                for media in (body.content or {}).values():
                    visit(media.schema, "body")
    return document
