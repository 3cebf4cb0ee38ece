"""What people and verifiers read: the policy pages, the exact signed files, the Atom feed, security.txt.

Stable file URLs (what ``portal policy verify --url`` and the page's in-browser check read):
``/policy/<slug>.md`` + ``.md.sig.json`` (current), ``/policy/<slug>/versions/<n>.md`` + ``.md.sig.json``,
``/policy/roots/<n>.toml`` + ``/policy/roots/<n>.sig.json``. Files are served byte for byte with
``X-Content-SHA256`` and open CORS, so a verifier elsewhere can fetch them; the JSON API for
publishers and scripts is ``portal.http.policy_api``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import msgspec
from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import Parameter
from litestar.response import Template

from policy import security_txt as security_txt_lib
from policy.document import SLUG as SLUG_PATTERN
from policy.feed import FeedEntry, atom_feed
from policy.signatures import Signature, encode_signature_file
from portal.domain import policies, policy_roots
from portal.domain.context import UseCaseContext
from portal.domain.policies import PolicyVersion
from portal.errors import NotFoundError
from portal.http import policy_render
from portal.http.pages.layout import layout, shows_errors
from portal.http.policy_deps import ANCHOR, Ctx, TrustAnchor
from portal.http.problems import problem_responses

_VERSION_FILE = re.compile(r"^([1-9][0-9]{0,8})\.(md|md\.sig\.json)$")
_ROOT_FILE = re.compile(r"^([1-9][0-9]{0,8})\.(toml|sig\.json)$")
_PAGE = re.compile(r"^([a-z0-9][a-z0-9-]{0,63})(\.md|\.md\.sig\.json)?$")
_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}


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


def _base_url(ctx: UseCaseContext) -> str:
    return ctx.settings.public_url.rstrip("/")


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
async def policy_index(state: State, ctx: Ctx) -> Template:
    async with ctx.db.transaction() as conn:
        current = await policies.current_all(conn, ctx.now())
    return await _page(state, "policy_index.html", "Official policy", policy_render.index_page(current))


@get("/policy/feed.atom", operation_id="policyFeed", tags=["policy"], summary="Atom feed: one entry per version",
     media_type="application/atom+xml")
async def policy_feed(ctx: Ctx) -> Response[bytes]:
    now = ctx.now()
    async with ctx.db.transaction() as conn:
        versions = await policies.all_versions(conn, now)
    feed = atom_feed(base_url=_base_url(ctx), updated=versions[0].published_at if versions else now,
                     entries=[FeedEntry(v.slug, v.title, v.version, v.sha256, v.published_at) for v in versions])
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


@get("/policy/roots/{file:str}", operation_id="policyRootFile", tags=["policy"], dependencies=ANCHOR,
     summary="A trust root's exact bytes (`<n>.toml`) or its rotation signatures (`<n>.sig.json`)",
     responses=problem_responses(404))
async def root_file(ctx: Ctx, anchor: TrustAnchor,
                    file: str = Parameter(description="`<n>.toml` or `<n>.sig.json`", max_length=40)
                    ) -> Response[bytes]:
    match = _ROOT_FILE.match(file)
    if match is None:
        raise NotFoundError(f"no root file {file!r}: expected <n>.toml or <n>.sig.json", field="file")
    async with ctx.db.transaction() as conn:
        stored = await policy_roots.one(conn, anchor, int(match.group(1)))
    if match.group(2) == "toml":
        return _file(stored.document, "application/toml; charset=utf-8", stored.sha256)
    return _file(encode_signature_file([Signature(s.signer, s.signature) for s in stored.signatures]),
                 "application/json")


@get("/policy/{slug:str}/versions/{file:str}", operation_id="policyVersionFile", tags=["policy"],
     summary="One version's exact bytes (`<n>.md`) or its signature bundle (`<n>.md.sig.json`)",
     responses=problem_responses(404))
async def policy_version_file(
    ctx: Ctx,
    slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN),
    file: str = Parameter(description="`<n>.md` or `<n>.md.sig.json`", max_length=40),
) -> Response[bytes]:
    match = _VERSION_FILE.match(file)
    if match is None:
        raise NotFoundError(f"no version file {file!r}: expected <n>.md or <n>.md.sig.json", field="file")
    async with ctx.db.transaction() as conn:
        version = await policies.version(conn, slug, int(match.group(1)), ctx.now())
    return _version_files(version, match.group(2))


@get("/policy/{page:str}", operation_id="policyPage", tags=["policy"], media_type=MediaType.HTML,
     summary="A policy as HTML; `<slug>.md` its exact signed bytes; `<slug>.md.sig.json` its signature bundle",
     operation_class=PolicyPageOperation, responses=problem_responses(404), dependencies=ANCHOR)
async def policy_page(state: State, ctx: Ctx, anchor: TrustAnchor,
                      page: str = Parameter(description="`<slug>`, `<slug>.md` or `<slug>.md.sig.json`",
                                            max_length=80)) -> Template | Response[bytes]:
    match = _PAGE.match(page)
    if match is None:
        raise NotFoundError(f"no policy page {page!r}", field="page")
    slug, suffix = match.group(1), match.group(2)
    now = ctx.now()
    async with ctx.db.transaction() as conn:
        current = await policies.current(conn, slug, now)
        roots = await policy_roots.history(conn, anchor, now)
    if suffix:
        return _version_files(current, suffix.removeprefix("."))
    doc = policies.parse_submitted(current.document)
    view = policy_render.policy_page(current, doc, roots=roots, base_url=_base_url(ctx), now=now)
    return await _page(state, "policy.html", current.title, view, scripts=(policy_render.VERIFY_SCRIPT,))


def _signed_security_txt(path: str) -> bytes:
    """The OpenPGP-signed security.txt named by ``PORTAL_SECURITY_TXT``, read per request so a re-signed
    file is served without a restart."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise NotFoundError(f"security.txt is configured but cannot be read ({exc.strerror})") from None


@get("/.well-known/security.txt", operation_id="securityTxt", tags=["policy"], media_type=MediaType.TEXT,
     summary="RFC 9116 security.txt: the OpenPGP-signed file of PORTAL_SECURITY_TXT, else built from the policy",
     responses=problem_responses(404))
async def security_txt(ctx: Ctx) -> Response:
    if ctx.settings.security_txt:
        return Response(_signed_security_txt(ctx.settings.security_txt), media_type=MediaType.TEXT)
    async with ctx.db.transaction() as conn:
        main = policies.main_policy(await policies.current_all(conn, ctx.now()))
    if main is None:
        raise NotFoundError("no policy is published yet")
    doc = policies.parse_submitted(main.document)
    text = security_txt_lib.security_txt_text(doc, base_url=_base_url(ctx))
    return Response(text, media_type=MediaType.TEXT)


ROUTES = [policy_index, policy_feed, root_file, policy_version_file, policy_page, security_txt]
