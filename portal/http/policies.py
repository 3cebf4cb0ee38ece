"""Policy routes: signed versions as JSON, HTML pages for people, Atom, security.txt, link checks."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import JSONBody, Parameter

from policy.links import LinkVerdict
from policy.signatures import Signature
from portal.domain import policies
from portal.domain.policies import PolicyVersion
from portal.errors import NotFoundError
from portal.http import policy_render
from portal.http.auth import Staff, require_role
from portal.http.problems import problem_responses
from portal.services import Services

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
_CSS = resources.files("portal.http").joinpath("static", "policy.css").read_bytes()


class PolicyPublish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exact document text and the signatures over its statement (as ``<doc>.sig.json`` holds)."""

    document: str
    signatures: list[Signature]


@dataclass
class PolicyPageOperation(Operation):
    """Documents the ``<slug>.md`` form (the exact signed bytes) beside the HTML page."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {**(ok.content or {}), "text/markdown": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.STRING, description="the signed document, byte for byte (`<slug>.md`)"))}


def _services(state: State) -> Services:
    return state.services


@post("/v1/policies", operation_id="publishPolicy", tags=["policy"], guards=[require_role("publisher")],
      summary="Publish a signed policy version (verified against the trust root and the previous version)",
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_policy(state: State, request: Request, staff: Staff, data: JSONBody[PolicyPublish]) -> PolicyVersion:
    services = _services(state)
    return await policies.publish(services.db, document_text=data.document, signatures=data.signatures,
                                  root=services.policy_root, actor=f"staff:{staff.name}",
                                  client=request.client.host if request.client else None, now=services.clock())


@get("/v1/policies", operation_id="listPolicies", tags=["policy"], summary="Current version of every policy")
async def list_policies(state: State) -> list[PolicyVersion]:
    services = _services(state)
    async with services.db.transaction() as conn:
        return await policies.current_all(conn, services.clock())


@get("/v1/policies/{slug:str}", operation_id="getPolicy", tags=["policy"], summary="Current version of a policy",
     responses=problem_responses(404))
async def get_policy(state: State, slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN)
                     ) -> PolicyVersion:
    services = _services(state)
    async with services.db.transaction() as conn:
        return await policies.current(conn, slug, services.clock())


@get("/v1/policies/{slug:str}/versions/{number:int}", operation_id="getPolicyVersion", tags=["policy"],
     summary="One version of a policy", responses=problem_responses(404))
async def get_policy_version(
    state: State,
    slug: str = Parameter(description="policy slug", pattern=SLUG_PATTERN),
    number: int = Parameter(description="version number (1, 2, ...)", ge=1),
) -> PolicyVersion:
    services = _services(state)
    async with services.db.transaction() as conn:
        return await policies.version(conn, slug, number, services.clock())


def _html(body: str, status_code: int = 200) -> Response[str]:
    return Response(body, media_type=MediaType.HTML, status_code=status_code, headers=policy_render.SECURITY_HEADERS)


@get("/policy", operation_id="policyIndexPage", tags=["policy"], include_in_schema=True,
     summary="HTML index of the official policies", media_type=MediaType.HTML)
async def policy_index(state: State) -> Response[str]:
    services = _services(state)
    async with services.db.transaction() as conn:
        current = await policies.current_all(conn, services.clock())
    return _html(policy_render.index_page([(p.slug, p.title, p.version) for p in current]))


@get("/policy/static/policy.css", operation_id="policyStylesheet", tags=["policy"], include_in_schema=False,
     media_type="text/css", sync_to_thread=False)
def policy_css() -> Response[bytes]:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@get("/policy/feed.atom", operation_id="policyFeed", tags=["policy"], summary="Atom feed: one entry per version",
     media_type="application/atom+xml")
async def policy_feed(state: State) -> Response[bytes]:
    services = _services(state)
    now = services.clock()
    async with services.db.transaction() as conn:
        versions = await policies.all_versions(conn, now)
    base = services.settings.public_url.rstrip("/")
    feed = policy_render.atom_feed(
        base_url=base, updated=versions[0].published_at if versions else now,
        entries=[(v.slug, v.title, v.version, v.sha256, v.published_at) for v in versions])
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


@get("/policy/{page:str}", operation_id="policyPage", tags=["policy"], media_type=MediaType.HTML,
     summary="A policy as HTML with its signature block, or `<slug>.md` for the exact signed bytes",
     operation_class=PolicyPageOperation, responses=problem_responses(404))
async def policy_page(state: State, page: str = Parameter(description="`<slug>` or `<slug>.md`", max_length=80)
                      ) -> Response:
    services = _services(state)
    raw = page.endswith(".md")
    slug = page.removesuffix(".md")
    now = services.clock()
    async with services.db.transaction() as conn:
        current = await policies.current(conn, slug, now)
    if raw:
        return Response(current.document.encode("utf-8"), media_type="text/markdown",
                        headers={"X-Content-SHA256": current.sha256, **policy_render.SECURITY_HEADERS})
    doc = policies.parse_submitted(current.document)
    threshold = services.policy_root.threshold if services.policy_root else None
    return _html(policy_render.policy_page(
        title=current.title, slug=slug, version=current.version, body_markdown=doc.body, statement=current.statement,
        sha256=current.sha256, prev=current.prev, effective=current.effective, expires=current.expires,
        signatures=[(s.signer, s.signature) for s in current.signatures], threshold=threshold, now=now,
        links=[(link.label, link.url) for link in doc.links],
        contracts=[(c.chain, c.address, c.label) for c in doc.contracts]))


@get("/.well-known/security.txt", operation_id="securityTxt", tags=["policy"], media_type=MediaType.TEXT,
     summary="RFC 9116 security.txt from the official policy", responses=problem_responses(404))
async def security_txt(state: State) -> Response[str]:
    services = _services(state)
    async with services.db.transaction() as conn:
        main = policies.main_policy(await policies.current_all(conn, services.clock()))
    if main is None:
        raise NotFoundError("no policy is published yet")
    doc = policies.parse_submitted(main.document)
    base = services.settings.public_url.rstrip("/")
    contacts = list(doc.contacts) or [f"{base}/policy/{main.slug}"]
    return Response(policy_render.security_txt(base_url=base, contacts=contacts, expires=main.expires,
                                               policy_slug=main.slug), media_type=MediaType.TEXT)


@get("/v1/links/check", operation_id="checkLink", tags=["policy"],
     summary="Is this URL official, a lookalike, or unknown (against the signed policy's links)")
async def check_link(state: State, url: str = Parameter(description="the URL to check", max_length=2048)
                     ) -> LinkVerdict:
    return await policies.check_url(_services(state).db, url)


@get("/v1/links/rules", operation_id="linkRules", tags=["policy"],
     summary="Official hosts and lookalike patterns for chat auto-moderation", responses=problem_responses(404))
async def link_rules(state: State) -> dict:
    return await policies.link_rules(_services(state).db)


ROUTES = [publish_policy, list_policies, get_policy, get_policy_version, policy_index, policy_css, policy_feed,
          policy_page, security_txt, check_link, link_rules]
