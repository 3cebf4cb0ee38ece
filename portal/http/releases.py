"""Releases over HTTP: publish one (publisher), list them, read one, and the exact signed files.

Stable file URLs, what ``portal release verify --url`` reads: ``/releases/<chain>/<n>.md`` (the
signed bytes), ``.md.sig.json`` (signatures and the trust root version) and ``.entries.json`` (the
entries file the document's ``entries_sha256`` commits to). A published release never changes, so
one release and its files are sent with a strong ETag (its sha256) and ``immutable``; the list is
not (a new release joins it).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, Parameter

from policy.signatures import Signature
from portal.domain import release_reads, releases
from portal.domain.release_reads import ReleaseDetail, ReleaseSummary
from portal.domain.releases import ReleaseSubmission
from portal.errors import NotFoundError
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.fast.encoded_json import cache_control, matches
from portal.http.policy_deps import ANCHOR, Ctx, TrustAnchor
from portal.http.problems import problem_responses

# A release of a million entries is about 250 MB of entries file; this portal's releases are
# manual approvals (tens of thousands at the most), so 64 MiB leaves a wide margin.
MAX_ENTRIES_CHARS = 64 * 1024 * 1024
MAX_DOCUMENT_CHARS = 64_000
MAX_SIGNATURES = 64
PUBLISH_MAX_BODY_BYTES = MAX_ENTRIES_CHARS + 6 * MAX_DOCUMENT_CHARS + MAX_SIGNATURES * 4096
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
_FILE = re.compile(r"^([1-9][0-9]{0,8})\.(md|md\.sig\.json|entries\.json)$")
_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}
Chain = Literal["evm", "solana"]


class ReleasePublish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exact document, the exact entries file beside it, and the signatures over the statement."""

    document: Annotated[str, msgspec.Meta(max_length=MAX_DOCUMENT_CHARS)]
    entries: Annotated[str, msgspec.Meta(max_length=MAX_ENTRIES_CHARS)]
    signatures: Annotated[list[Signature], msgspec.Meta(max_length=MAX_SIGNATURES)]


def _immutable(request: Request, body: bytes, media_type: str, sha256: str) -> Response[bytes]:
    """``body`` of a published release (never changes): strong ETag, immutable, 304 when it matches."""
    etag = f'"{sha256}"'
    name, value = cache_control(IMMUTABLE_MAX_AGE)
    headers = {**_FILE_HEADERS, "ETag": etag, name.decode(): value.decode()}
    if (given := request.headers.get("if-none-match")) and matches(given.encode(), etag.encode()):
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(body, media_type=media_type, headers=headers)


@post("/v1/releases", operation_id="publishRelease", tags=["releases"], guards=[require_role("publisher")],
      request_max_body_size=PUBLISH_MAX_BODY_BYTES, dependencies=ANCHOR,
      summary=("Publish a signed release (verified against the newest trust root and the chain's previous "
               "release; its entries must hash to entries_sha256, give its root and be approved, unreleased "
               "requests)"),
      responses=problem_responses(400, 401, 403, 409, 422))
async def publish_release(ctx: Ctx, anchor: TrustAnchor, request: Request, staff: Staff,
                          data: JSONBody[ReleasePublish]) -> ReleaseSummary:
    submission = ReleaseSubmission(data.document, data.entries, data.signatures, f"staff:{staff.name}",
                                   client_host(request))
    async with ctx.db.transaction() as conn:
        return await releases.publish(conn, releases.Target(ctx.snapshots, ctx.settings.evm_chain_id), submission,
                                      anchor, ctx.now())


@get("/v1/releases", operation_id="listReleases", tags=["releases"],
     summary="Every published release of every destination chain, oldest first")
async def list_releases(ctx: Ctx) -> list[ReleaseSummary]:
    async with ctx.db.transaction() as conn:
        return await release_reads.listing(conn)


@get("/v1/releases/{chain:str}/{number:int}", operation_id="getRelease", tags=["releases"],
     summary=("One release with every entry and its proof; `format=distributor-json` is jup-ag's "
              "AirdropMerkleTree file (Solana), `format=uniswap-claims` Uniswap's claims JSON"),
     description="Immutable once published: strong ETag, `Cache-Control: immutable`, 304 for a matching ETag.",
     responses=problem_responses(400, 404))
async def get_release(
    ctx: Ctx, request: Request,
    chain: Annotated[Chain, Parameter(description="destination chain")],
    number: int = Parameter(description="release number (1, 2, ...)", ge=1, le=999_999_999),
    format: Annotated[Literal["json", "distributor-json", "uniswap-claims"], Parameter(
        description="json (default), distributor-json (Solana) or uniswap-claims (a uniswap tree)")] = "json",
) -> Response[ReleaseDetail]:
    async with ctx.db.transaction() as conn:
        stored = await release_reads.one(conn, chain, number)
        entries = await release_reads.entries_file(conn, chain, number)
    if format == "distributor-json":
        body = release_reads.distributor_json(stored, entries)
    elif format == "uniswap-claims":
        body = release_reads.uniswap_claims_json(stored, entries)
    else:
        body = msgspec.json.encode(release_reads.detail(stored, entries))
    return _immutable(request, body, "application/json", f"{stored.sha256[:48]}-{format}")  # type: ignore[return-value]


@get("/releases/{chain:str}/{file:str}", operation_id="releaseFile", tags=["releases"],
     summary="A release's exact bytes (`<n>.md`), signatures (`<n>.md.sig.json`) or entries file (`<n>.entries.json`)",
     responses=problem_responses(404))
async def release_file(
    ctx: Ctx, request: Request,
    chain: Annotated[Chain, Parameter(description="destination chain")],
    file: str = Parameter(description="`<n>.md`, `<n>.md.sig.json` or `<n>.entries.json`", max_length=40),
) -> Response[bytes]:
    match = _FILE.match(file)
    if match is None:
        raise NotFoundError(f"no release file {file!r}: expected <n>.md, <n>.md.sig.json or <n>.entries.json",
                            field="file")
    number, kind = int(match.group(1)), match.group(2)
    async with ctx.db.transaction() as conn:
        stored = await release_reads.one(conn, chain, number)
        entries = await release_reads.entries_file(conn, chain, number) if kind == "entries.json" else b""
    if kind == "md":
        return _immutable(request, stored.document, "text/markdown", stored.sha256)
    if kind == "entries.json":
        return _immutable(request, entries, "application/json", stored.entries_sha256)
    return _immutable(request, release_reads.signature_file(stored), "application/json", stored.sha256[:48] + "-sig")


@get("/v1/releases/{chain:str}/{number:int}/claims", operation_id="getReleaseClaims", tags=["staff"],
     guards=[require_role("reviewer")],
     summary=("Released, claimed and unclaimed entries and amounts of a release, as of the last claim-status "
              "pass; `format=csv` lists the unclaimed entries with their proofs"),
     responses=problem_responses(400, 401, 403, 404))
async def get_release_claims(
    ctx: Ctx,
    chain: Annotated[Chain, Parameter(description="destination chain")],
    number: int = Parameter(description="release number (1, 2, ...)", ge=1, le=999_999_999),
    format: Annotated[Literal["json", "csv"], Parameter(description="json (default) or csv")] = "json",
) -> Response[release_reads.ClaimTotals]:
    async with ctx.db.transaction() as conn:
        totals, unclaimed = await release_reads.claim_totals(conn, chain, number)
    if format == "csv":
        return Response(release_reads.unclaimed_csv(unclaimed), media_type="text/csv",  # type: ignore[arg-type]
                        headers={"Content-Disposition": f'attachment; filename="unclaimed-{chain}-{number}.csv"'})
    return Response(totals)


ROUTES = [publish_release, list_releases, get_release, release_file, get_release_claims]
