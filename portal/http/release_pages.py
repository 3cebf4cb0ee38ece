"""``/releases``: every published release with the contract holders claim from, checked in the browser.

The page lists what ``GET /v1/releases`` lists, with links to the exact files, and runs
``js/release-verify.js``, which checks each release from those files as ``portal release verify``
does; the command for a terminal is shown beside it. Same headers as the policy pages.
"""

from __future__ import annotations

import msgspec
from litestar import MediaType, get
from litestar.datastructures import State
from litestar.response import Template

from portal.domain import release_reads
from portal.domain.amounts import chain_label, token_units
from portal.http import policy_render
from portal.http.copy.cases import KIND_WORDS
from portal.http.deps import Ctx
from portal.http.pages.layout import render_page

VERIFY_SCRIPT = "js/release-verify.js"
_TIME = "%H:%M UTC on %d %B %Y"


class CorrectionRow(msgspec.Struct, frozen=True):
    """One correction the release pays, as its signed document lists it."""

    case_id: str
    address: str
    destination: str
    amount: str
    category: str
    kind: str
    reason: str


class ReleaseRow(msgspec.Struct, frozen=True):
    chain: str
    chain_label: str
    number: int
    entries: int
    total: str
    distributor: str
    program: str
    deadline: str
    merkle_root: str
    sha256: str
    published: str
    corrections: tuple[CorrectionRow, ...] = ()


class ReleasesPage(msgspec.Struct, frozen=True):
    rows: tuple[ReleaseRow, ...]
    verify_command: str


def _amount(base_units: int, decimals: int) -> str:
    return f"{token_units(base_units, decimals)} tokens ({base_units} base units)"


def _row(release: release_reads.ReleaseSummary) -> ReleaseRow:
    deadline = release.claim_deadline.strftime(_TIME) if release.claim_deadline else "none"
    corrections = tuple(CorrectionRow(c.case_id, c.snapshot_address, c.destination, _amount(c.amount, release.decimals),
                                      c.category or "none", KIND_WORDS.get(c.kind, c.kind), c.reason)
                        for c in release.corrections)
    return ReleaseRow(release.destination_chain, chain_label(release.destination_chain), release.number,
                      release.entries, _amount(int(release.total), release.decimals), release.distributor,
                      release.program, deadline, release.merkle_root, release.sha256,
                      release.published_at.strftime(_TIME), corrections)


@get("/releases", operation_id="releasesPage", include_in_schema=False, media_type=MediaType.HTML)
async def releases_page(state: State, ctx: Ctx) -> Template:
    async with ctx.db.transaction() as conn:
        listed = await release_reads.listing(conn)
    base = ctx.settings.public_url.rstrip("/")
    page = ReleasesPage(tuple(_row(release) for release in listed),
                        f"portal release verify --url {base} --root-sha256 <sha256 of the trust root you hold>")
    return render_page(state, "releases.html", "Releases", page, scripts=(VERIFY_SCRIPT,),
                       headers=policy_render.SECURITY_HEADERS)


ROUTES = [releases_page]
