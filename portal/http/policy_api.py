"""The policy JSON API, for publishers and scripts: publish a signed version or the next trust root,
read versions and roots as JSON.

Publishing is verified by the library exactly as ``portal policy verify`` does offline
(``portal.domain.policies``, ``portal.domain.policy_roots``); the pages and the exact files a
verifier reads are ``portal.http.policy_pages``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, Parameter

from policy.document import SLUG as SLUG_PATTERN
from policy.signatures import Signature
from portal.domain import policies, policy_roots
from portal.domain.policies import PolicyVersion
from portal.domain.policy_roots import Publication, RootVersion
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.policy_deps import ANCHOR, Ctx, TrustAnchor
from portal.http.problems import problem_responses

# A policy or root document is a page of Markdown or TOML; a trust root has at most a few dozen signers.
MAX_DOCUMENT_CHARS = 64_000
MAX_SIGNATURES = 64
# The document, escaped or non-ASCII at worst, and its signatures.
PUBLISH_MAX_BODY_BYTES = 6 * MAX_DOCUMENT_CHARS + MAX_SIGNATURES * 4096
Document = Annotated[str, msgspec.Meta(max_length=MAX_DOCUMENT_CHARS)]
Signatures = Annotated[list[Signature], msgspec.Meta(max_length=MAX_SIGNATURES)]


class PolicyPublish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exact document text and the signatures over its statement (as ``<doc>.sig.json`` holds)."""

    document: Document
    signatures: Signatures


class RootPublish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exact ``root.toml`` text of the next root and the signatures over its statement."""

    root: Document
    signatures: Signatures


@post("/v1/policies", operation_id="publishPolicy", tags=["policy"], guards=[require_role("publisher")],
      request_max_body_size=PUBLISH_MAX_BODY_BYTES, dependencies=ANCHOR,
      summary="Publish a signed policy version (verified against the newest trust root and the previous version)",
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_policy(ctx: Ctx, anchor: TrustAnchor, request: Request, staff: Staff,
                         data: JSONBody[PolicyPublish]) -> PolicyVersion:
    publication = Publication(data.document, data.signatures, f"staff:{staff.name}", client_host(request))
    async with ctx.db.transaction() as conn:
        return await policies.publish(conn, publication, anchor, ctx.now())


@post("/v1/policies/roots", operation_id="publishPolicyRoot", tags=["policy"], guards=[require_role("publisher")],
      request_max_body_size=PUBLISH_MAX_BODY_BYTES, dependencies=ANCHOR,
      summary="Rotate the trust root: the next root, signed by the current root's threshold and its own",
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_root(ctx: Ctx, anchor: TrustAnchor, request: Request, staff: Staff,
                       data: JSONBody[RootPublish]) -> RootVersion:
    publication = Publication(data.root, data.signatures, f"staff:{staff.name}", client_host(request))
    async with ctx.db.transaction() as conn:
        return await policy_roots.publish(conn, publication, anchor, ctx.now())


@get("/v1/policies", operation_id="listPolicies", tags=["policy"], summary="Current version of every policy")
async def list_policies(ctx: Ctx) -> list[PolicyVersion]:
    async with ctx.db.transaction() as conn:
        return await policies.current_all(conn, ctx.now())


@get("/v1/policies/roots", operation_id="listPolicyRoots", tags=["policy"], dependencies=ANCHOR,
     summary="Every trust root, oldest first, each with the signatures that rotated it in")
async def list_roots(ctx: Ctx, anchor: TrustAnchor) -> list[RootVersion]:
    async with ctx.db.transaction() as conn:
        return await policy_roots.history(conn, anchor, ctx.now())


@get("/v1/policies/roots/{number:int}", operation_id="getPolicyRoot", tags=["policy"], dependencies=ANCHOR,
     summary="One trust root version (JSON equivalent of /policy/roots/{n}.toml)", responses=problem_responses(404))
async def get_root(ctx: Ctx, anchor: TrustAnchor,
                   number: int = Parameter(description="root version (1, 2, ...)", ge=1)) -> RootVersion:
    async with ctx.db.transaction() as conn:
        return await policy_roots.version(conn, anchor, number, ctx.now())


@get("/v1/policies/{slug:str}", operation_id="getPolicy", tags=["policy"], summary="Current version of a policy",
     responses=problem_responses(404))
async def get_policy(ctx: Ctx, slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN)
                     ) -> PolicyVersion:
    async with ctx.db.transaction() as conn:
        return await policies.current(conn, slug, ctx.now())


@get("/v1/policies/{slug:str}/versions", operation_id="listPolicyVersions", tags=["policy"],
     summary="Every version of a policy, oldest first")
async def list_policy_versions(ctx: Ctx,
                               slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN)
                               ) -> list[PolicyVersion]:
    async with ctx.db.transaction() as conn:
        return await policies.history(conn, slug, ctx.now())


@get("/v1/policies/{slug:str}/versions/{number:int}", operation_id="getPolicyVersion", tags=["policy"],
     summary="One version of a policy", responses=problem_responses(404))
async def get_policy_version(
    ctx: Ctx,
    slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN),
    number: int = Parameter(description="version number (1, 2, ...)", ge=1),
) -> PolicyVersion:
    async with ctx.db.transaction() as conn:
        return await policies.version(conn, slug, number, ctx.now())


ROUTES = [publish_policy, publish_root, list_policies, list_roots, get_root, get_policy, list_policy_versions,
          get_policy_version]
