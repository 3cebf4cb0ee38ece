"""``/snapshot-check``: how anyone checks the published snapshot with their own node, as a page; and
``/corrections``: the public log of upheld corrections (``GET /v1/corrections`` as a page).

The README's section "Snapshots from the chain, and how a holder checks the published one", said
for holders, with each loaded snapshot's own sha256, block or slot and exclude-list hash filled in
(a test holds the page's commands to the README's).
"""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.response import Template

from portal.domain import cases_staff
from portal.domain.eligibility import source_of
from portal.http.deps import Ctx
from portal.http.pages.eligibility import source_rows
from portal.http.pages.layout import render_page
from portal.http.pages.view_models import SourceRows


class SnapshotRow(msgspec.Struct, frozen=True):
    name: str
    chain: str
    sha256: str
    entries: int
    merkle_root: str
    source: SourceRows
    rebuildable: bool  # built from the chain (its source names a method --rebuild can redo)


class SnapshotCheckPage(msgspec.Struct, frozen=True):
    snapshots: list[SnapshotRow]
    public_url: str


@get("/snapshot-check", operation_id="snapshotCheckPage", include_in_schema=False)
async def snapshot_check(ctx: Ctx, state: State) -> Template:
    rows = []
    for manifest in ctx.snapshots.public_manifests:
        source = source_of(manifest)
        rows.append(SnapshotRow(manifest.name, manifest.chain, manifest.sha256, manifest.entries,
                                manifest.merkle_root, source_rows(source),  # type: ignore[arg-type]
                                source.method in ("erc20-transfer-logs", "spl-token-accounts")))
    page = SnapshotCheckPage(rows, ctx.settings.public_url.rstrip("/"))
    return render_page(state, "snapshot_check.html", "Check the snapshot yourself", page)


class CorrectionRow(msgspec.Struct, frozen=True):
    address: str
    amount: str
    why: str
    decided: str
    release: str | None


class CorrectionsPage(msgspec.Struct, frozen=True):
    rows: list[CorrectionRow]


WHY = {"not_in_snapshot": "not in the snapshot", "amount_wrong": "amount was wrong", "late": "missed the deadline"}


@get("/corrections", operation_id="correctionsPage", include_in_schema=False)
async def corrections_page(ctx: Ctx, state: State) -> Template:
    async with ctx.db.transaction() as conn:
        found = await cases_staff.corrections(conn, limit=1000, cursor=None)
    rows = [CorrectionRow(c.address, c.amount, WHY.get(c.kind, c.kind) + (f" (exclude list: {c.category})"
                                                                           if c.category else ""),
                          c.decided_at.strftime("%d %B %Y"), c.release) for c in found]
    return render_page(state, "corrections.html", "Corrections made after the snapshot", CorrectionsPage(rows))


ROUTES = [snapshot_check, corrections_page]
