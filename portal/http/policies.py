"""Policy routes: signed versions and trust roots as JSON and as the exact files a verifier reads,
HTML pages for people, Atom, security.txt.

Stable file URLs (what ``portal policy verify --url`` and the page's in-browser check read):
``/policy/<slug>.md`` + ``.md.sig.json`` (current), ``/policy/<slug>/versions/<n>.md`` + ``.md.sig.json``,
``/policy/roots/<n>.toml`` + ``/policy/roots/<n>.sig.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import JSONBody, Parameter
from litestar.response import Template

from policy import security_txt as security_txt_lib
from policy.signatures import Signature, encode_signature_file
from portal.domain import policies, policy_roots
from portal.domain.policies import PolicyVersion
from portal.domain.policy_roots import RootVersion
from portal.errors import NotFoundError
from portal.http import policy_render
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.pages.layout import layout, shows_errors
from portal.http.problems import problem_responses
from portal.runtime import Runtime

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
_VERSION_FILE = re.compile(r"^([1-9][0-9]{0,8})\.(md|md\.sig\.json)$")
_ROOT_FILE = re.compile(r"^([1-9][0-9]{0,8})\.(toml|sig\.json)$")
_PAGE = re.compile(r"^([a-z0-9][a-z0-9-]{0,63})(\.md|\.md\.sig\.json)?$")
_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}
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


@dataclass
class PolicyPageOperation(Operation):
    """Documents the ``<slug>.md`` form (the exact signed bytes) and its ``.md.sig.json`` bundle beside the page."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {**(ok.content or {}), "text/markdown": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.STRING, description="the signed document, byte for byte (`<slug>.md`)")),
                "application/json": OpenAPIMediaType(schema=Schema(
                    type=OpenAPIType.OBJECT, description="its signature bundle (`<slug>.md.sig.json`)"))}


class RootPublish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exact ``root.toml`` text of the next root and the signatures over its statement."""

    root: Document
    signatures: Signatures


def _services(state: State) -> Runtime:
    return state.runtime



@post("/v1/policies", operation_id="publishPolicy", tags=["policy"], guards=[require_role("publisher")],
      request_max_body_size=PUBLISH_MAX_BODY_BYTES,
      summary="Publish a signed policy version (verified against the newest trust root and the previous version)",
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_policy(state: State, request: Request, staff: Staff, data: JSONBody[PolicyPublish]) -> PolicyVersion:
    runtime = _services(state)
    return await policies.publish(runtime.db, document_text=data.document, signatures=data.signatures,
                                  anchor=runtime.policy_root, actor=f"staff:{staff.name}", client=client_host(request),
                                  now=runtime.clock())


@post("/v1/policies/roots", operation_id="publishPolicyRoot", tags=["policy"], guards=[require_role("publisher")],
      request_max_body_size=PUBLISH_MAX_BODY_BYTES,
      summary="Rotate the trust root: the next root, signed by the current root's threshold and its own",
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_root(state: State, request: Request, staff: Staff, data: JSONBody[RootPublish]) -> RootVersion:
    runtime = _services(state)
    return await policy_roots.publish(runtime.db, root_text=data.root, signatures=data.signatures,
                                      anchor=runtime.policy_root, actor=f"staff:{staff.name}",
                                      client=client_host(request), now=runtime.clock())


@get("/v1/policies", operation_id="listPolicies", tags=["policy"], summary="Current version of every policy")
async def list_policies(state: State) -> list[PolicyVersion]:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return await policies.current_all(conn, runtime.clock())


@get("/v1/policies/roots", operation_id="listPolicyRoots", tags=["policy"],
     summary="Every trust root, oldest first, each with the signatures that rotated it in")
async def list_roots(state: State) -> list[RootVersion]:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return [policy_roots.view(r, runtime.clock()) for r in await policy_roots.served(conn, runtime.policy_root)]


@get("/v1/policies/roots/{number:int}", operation_id="getPolicyRoot", tags=["policy"],
     summary="One trust root version (JSON equivalent of /policy/roots/{n}.toml)", responses=problem_responses(404))
async def get_root(state: State, number: int = Parameter(description="root version (1, 2, ...)", ge=1)
                   ) -> RootVersion:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return policy_roots.view(await policy_roots.one(conn, runtime.policy_root, number), runtime.clock())


@get("/v1/policies/{slug:str}", operation_id="getPolicy", tags=["policy"], summary="Current version of a policy",
     responses=problem_responses(404))
async def get_policy(state: State, slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN)
                     ) -> PolicyVersion:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return await policies.current(conn, slug, runtime.clock())


@get("/v1/policies/{slug:str}/versions", operation_id="listPolicyVersions", tags=["policy"],
     summary="Every version of a policy, oldest first")
async def list_policy_versions(state: State, slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN)
                               ) -> list[PolicyVersion]:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return await policies.history(conn, slug, runtime.clock())


@get("/v1/policies/{slug:str}/versions/{number:int}", operation_id="getPolicyVersion", tags=["policy"],
     summary="One version of a policy", responses=problem_responses(404))
async def get_policy_version(
    state: State,
    slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN),
    number: int = Parameter(description="version number (1, 2, ...)", ge=1),
) -> PolicyVersion:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        return await policies.version(conn, slug, number, runtime.clock())


async def _page(state: State, template: str, title: str, view: msgspec.Struct, scripts: tuple[str, ...] = ()
                ) -> Template:
    """A page on the site's base layout, with the policy pages' stricter headers."""
    return Template(template_name=template, headers=policy_render.SECURITY_HEADERS,
                    context={"layout": layout(state, title, scripts=scripts, failed=shows_errors(view)),
                             "page": view})


def _file(body: bytes, media_type: str, sha256: str | None = None) -> Response[bytes]:
    headers = {**_FILE_HEADERS, **({"X-Content-SHA256": sha256} if sha256 else {})}
    return Response(body, media_type=media_type, headers=headers)


def _version_files(version: PolicyVersion, kind: str) -> Response[bytes]:
    if kind == "md":
        return _file(version.document.encode("utf-8"), "text/markdown", version.sha256)
    return _file(policies.signature_file(version), "application/json")


@get("/policy", operation_id="policyIndexPage", tags=["policy"], include_in_schema=True,
     summary="HTML index of the official policies", media_type=MediaType.HTML)
async def policy_index(state: State) -> Template:
    runtime = _services(state)
    async with runtime.db.transaction() as conn:
        current = await policies.current_all(conn, runtime.clock())
    return await _page(state, "policy_index.html", "Official policy", policy_render.index_page(current))


@get("/policy/feed.atom", operation_id="policyFeed", tags=["policy"], summary="Atom feed: one entry per version",
     media_type="application/atom+xml")
async def policy_feed(state: State) -> Response[bytes]:
    runtime = _services(state)
    now = runtime.clock()
    async with runtime.db.transaction() as conn:
        versions = await policies.all_versions(conn, now)
    base = runtime.settings.public_url.rstrip("/")
    feed = policy_render.atom_feed(
        base_url=base, updated=versions[0].published_at if versions else now,
        entries=[(v.slug, v.title, v.version, v.sha256, v.published_at) for v in versions])
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


@get("/policy/roots/{file:str}", operation_id="policyRootFile", tags=["policy"],
     summary="A trust root's exact bytes (`<n>.toml`) or its rotation signatures (`<n>.sig.json`)",
     responses=problem_responses(404))
async def root_file(state: State, file: str = Parameter(description="`<n>.toml` or `<n>.sig.json`", max_length=40)
                    ) -> Response[bytes]:
    runtime = _services(state)
    match = _ROOT_FILE.match(file)
    if match is None:
        raise NotFoundError(f"no root file {file!r}: expected <n>.toml or <n>.sig.json", field="file")
    async with runtime.db.transaction() as conn:
        stored = await policy_roots.one(conn, runtime.policy_root, int(match.group(1)))
    if match.group(2) == "toml":
        return _file(stored.document, "application/toml; charset=utf-8", stored.sha256)
    return _file(encode_signature_file([Signature(s.signer, s.signature) for s in stored.signatures]),
                 "application/json")


@get("/policy/{slug:str}/versions/{file:str}", operation_id="policyVersionFile", tags=["policy"],
     summary="One version's exact bytes (`<n>.md`) or its signature bundle (`<n>.md.sig.json`)",
     responses=problem_responses(404))
async def policy_version_file(
    state: State,
    slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN),
    file: str = Parameter(description="`<n>.md` or `<n>.md.sig.json`", max_length=40),
) -> Response[bytes]:
    runtime = _services(state)
    match = _VERSION_FILE.match(file)
    if match is None:
        raise NotFoundError(f"no version file {file!r}: expected <n>.md or <n>.md.sig.json", field="file")
    async with runtime.db.transaction() as conn:
        version = await policies.version(conn, slug, int(match.group(1)), runtime.clock())
    return _version_files(version, match.group(2))


@get("/policy/{page:str}", operation_id="policyPage", tags=["policy"], media_type=MediaType.HTML,
     summary="A policy as HTML; `<slug>.md` its exact signed bytes; `<slug>.md.sig.json` its signature bundle",
     operation_class=PolicyPageOperation, responses=problem_responses(404))
async def policy_page(state: State, page: str = Parameter(description="`<slug>`, `<slug>.md` or `<slug>.md.sig.json`",
                                                          max_length=80)) -> Template | Response[bytes]:
    runtime = _services(state)
    match = _PAGE.match(page)
    if match is None:
        raise NotFoundError(f"no policy page {page!r}", field="page")
    slug, suffix = match.group(1), match.group(2)
    now = runtime.clock()
    async with runtime.db.transaction() as conn:
        current = await policies.current(conn, slug, now)
        roots = [policy_roots.view(r, now) for r in await policy_roots.served(conn, runtime.policy_root)]
    if suffix:
        return _version_files(current, suffix.removeprefix("."))
    doc = policies.parse_submitted(current.document)
    view = policy_render.policy_page(current, doc, roots=roots, base_url=runtime.settings.public_url.rstrip("/"),
                                     now=now)
    return await _page(state, "policy.html", current.title, view, scripts=(policy_render.VERIFY_SCRIPT,))


@get("/.well-known/security.txt", operation_id="securityTxt", tags=["policy"], media_type=MediaType.TEXT,
     summary="RFC 9116 security.txt: the OpenPGP-signed file of PORTAL_SECURITY_TXT, else built from the policy",
     responses=problem_responses(404))
async def security_txt(state: State) -> Response:
    runtime = _services(state)
    if runtime.settings.security_txt:
        signed = policies.signed_security_txt(runtime.settings.security_txt)
        return Response(signed, media_type=MediaType.TEXT)
    async with runtime.db.transaction() as conn:
        main = policies.main_policy(await policies.current_all(conn, runtime.clock()))
    if main is None:
        raise NotFoundError("no policy is published yet")
    doc = policies.parse_submitted(main.document)
    text = security_txt_lib.security_txt_text(doc, base_url=runtime.settings.public_url.rstrip("/"))
    return Response(text, media_type=MediaType.TEXT)


ROUTES = [
    publish_policy, publish_root, list_policies, list_roots, get_root, get_policy, list_policy_versions,
    get_policy_version, policy_index, policy_feed, root_file, policy_version_file, policy_page, security_txt]
