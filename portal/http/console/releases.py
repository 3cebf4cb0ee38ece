"""``/staff/releases``: each published release's released, claimed and unclaimed entries and amounts,
how fresh that is, and the unclaimed entries as CSV.

The same domain reads as ``GET /v1/releases/{chain}/{n}/claims`` (``release_reads.claim_totals``),
for the same people: the console admits reviewers and above, as that route's guard does. Claims
come from the chain (``portal.domain.claim_sync``); when it was last read is shown beside each
release, and a release never read says so, with whether a node is configured at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Template

from portal.domain import release_reads
from portal.domain.amounts import chain_label, token_units
from portal.domain.context import UseCaseContext
from portal.http.console.render import EXCEPTION_HANDLERS, render, user_of
from portal.http.console.sign_in import CONSOLE, ConsoleStaff
from portal.http.deps import Ctx

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_TIME = "%H:%M UTC on %d %B %Y"


class ReleaseRow(msgspec.Struct, frozen=True):
    """One release as the console shows it: counts, amounts in tokens (base units beside), freshness."""

    chain: str
    chain_label: str
    number: int
    distributor: str
    released_entries: int
    released_amount: str
    claimed_entries: int
    claimed_amount: str
    unclaimed_entries: int
    unclaimed_amount: str
    synced: str
    csv_url: str


class HeldBackRow(msgspec.Struct, frozen=True):
    request_url: str
    snapshot_address: str
    destination: str
    proof_chain_id: int


class ReleasesView(msgspec.Struct, frozen=True):
    rows: list[ReleaseRow]
    sync_note: str
    evm_chain_id: int = 1
    held_back: list[HeldBackRow] = msgspec.field(default_factory=list)


def _amount(base_units: str, decimals: int) -> str:
    return f"{token_units(int(base_units), decimals)} ({base_units} base units)"


def _synced(at: dt.datetime | None, now: dt.datetime) -> str:
    if at is None:
        return "never read from the chain"
    minutes = max(0, int((now - at).total_seconds() // 60))
    ago = "less than a minute ago" if minutes == 0 else f"{minutes} min ago" if minutes < 120 else \
        f"{minutes // 60} h ago"
    return f"read from the chain at {at.strftime(_TIME)} ({ago})"


def _sync_note(ctx: UseCaseContext) -> str:
    nodes = [name for name, node in (("EVM", ctx.evm_node), ("Solana", ctx.solana_node)) if node is not None]
    if not nodes:
        return ("No chain node is configured (PORTAL_EVM_RPC_URL, PORTAL_SOLANA_RPC_URL): claims are not read, "
                "so every entry shows as unclaimed.")
    return (f"Claims are read from the {' and '.join(nodes)} node every "
            f"{ctx.settings.claim_sync_seconds} s; a node that is down only makes these figures older.")


def _row(totals: release_reads.ClaimTotals, now: dt.datetime) -> ReleaseRow:
    d = totals.decimals
    return ReleaseRow(totals.destination_chain, chain_label(totals.destination_chain), totals.number,
                      totals.distributor, totals.released_entries, _amount(totals.released_amount, d),
                      totals.claimed_entries, _amount(totals.claimed_amount, d), totals.unclaimed_entries,
                      _amount(totals.unclaimed_amount, d), _synced(totals.synced_at, now),
                      f"/staff/releases/{totals.destination_chain}/{totals.number}/unclaimed.csv")


@get("/staff/releases", include_in_schema=False, cache_control=None, dependencies=CONSOLE,
     exception_handlers=EXCEPTION_HANDLERS)
async def releases_page(state: State, ctx: Ctx, console: ConsoleStaff) -> Template:
    async with ctx.db.transaction() as conn:
        totals = await release_reads.all_claim_totals(conn)
        held = await release_reads.held_back(conn, ctx.settings.evm_chain_id)
    now = ctx.now()
    view = ReleasesView([_row(t, now) for t in totals], _sync_note(ctx), ctx.settings.evm_chain_id,
                        [HeldBackRow(f"/staff/requests/{h.request_id}", h.snapshot_address, h.destination,
                                     h.proof_chain_id) for h in held])
    return await render(state, "releases.html", "Releases and claims", view, user_of(console))


@get("/staff/releases/{chain:str}/{number:int}/unclaimed.csv", include_in_schema=False, cache_control=None,
     dependencies=CONSOLE, exception_handlers=EXCEPTION_HANDLERS)
async def unclaimed_download(ctx: Ctx, console: ConsoleStaff, chain: Annotated[Literal["evm", "solana"], Parameter()],
                             number: int = Parameter(ge=1, le=999_999_999)) -> Response:
    async with ctx.db.transaction() as conn:
        _, unclaimed = await release_reads.claim_totals(conn, chain, number)
    return Response(release_reads.unclaimed_csv(unclaimed), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="unclaimed-{chain}-{number}.csv"'})


ROUTES = [releases_page, unclaimed_download]
