"""``/eligibility?address=``: the eligibility answer as a page (a GET form, so it works without JavaScript).

The answer is ``SnapshotSet.eligibility``, the function behind ``GET /v1/eligibility/{address}``; a
malformed address re-renders the home page with the domain's error as a sentence beside the field.
An answer is fixed by the loaded snapshots, so its page is rendered once per banner and kept in
the banner's bounded LRU, keyed by the address as typed (errors are not kept).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

import msgspec
from litestar import Request, get

from portal.domain import amounts
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSource
from portal.errors import InvalidAddressError
from portal.http.copy.errors import sentence
from portal.http.fast.html_page import HtmlPage
from portal.http.pages.layout import kept_answer, render_page
from portal.http.pages.view_models import EligibilityPage, FieldError, HomePage, SourceRows

PAGE_SCRIPTS = ("js/main.js",)
METHOD_WORDS = {"erc20-transfer-logs": "rebuilt from the token's Transfer logs, checked with balanceOf at the block",
                "spl-token-accounts": "every token account of the mint, summed by owner, at the slot"}


def source_rows(source: SnapshotSource | None) -> SourceRows | None:
    """The snapshot's source in words for the result page (None when no single snapshot answered)."""
    if source is None:
        return None
    kind = "Slot" if source.chain == "solana" else "Block"
    point = f"{kind} {source.block}" if source.block is not None else f"{kind}: not recorded"
    try:
        time = dt.datetime.fromisoformat(source.block_time).strftime(TIME) if source.block_time else "not recorded"
    except ValueError:
        time = "not recorded"
    method = METHOD_WORDS.get(source.method or "", source.method or "a holder list given by hand")
    return SourceRows(point, time, method, source.exclude_sha256 or "")
TIME = "%H:%M UTC on %d %B %Y"
MAX_ADDRESS_CHARS = 200  # EVM addresses are 42 characters, Solana's at most 44


# The hot page: no signature model and no dependency injection (the address is read from the query as
# text and bounded here; the context is read from the app's state, the object ``ctx`` would inject).
@get("/eligibility", operation_id="eligibilityPage", include_in_schema=False, sync_to_thread=False)
def eligibility_page(request: Request) -> HtmlPage:
    state = request.app.state
    ctx: UseCaseContext = state.runtime.ctx
    typed = request.query_params.get("address", "").strip()
    if not typed or len(typed) > MAX_ADDRESS_CHARS:
        message = ("Enter the address that held the old token." if not typed else
                   "That is too long for an address: paste only the address, 0x… or a Solana address.")
        shown = HomePage(typed[:MAX_ADDRESS_CHARS], (FieldError("address", message),))
        return render_page(state, "home.html", "Check your address", shown, status_code=400, hot="render")
    kept = kept_answer(state, typed)
    if kept is not None:
        return kept
    try:
        answer = ctx.snapshots.eligibility(typed)
    except InvalidAddressError as exc:
        errors = (FieldError("address", sentence(exc)),)
        return render_page(state, "home.html", "Check your address", HomePage(typed, errors), status_code=400,
                           hot="render")
    manifest = next((m for m in ctx.snapshots.manifests if m.id == answer.snapshot_id), None)
    # one rule for holders and staff (portal.domain.amounts): the manifest's decimals, else the setting
    shown = amounts.display_amount(answer.decimals, answer.amount or 0, fallback=ctx.settings.token_decimals)
    view = EligibilityPage(
        address=answer.address, eligible=answer.eligible,
        chain=amounts.chain_label("solana" if typed[:2] != "0x" else "evm"),
        snapshot_name=manifest.name if manifest else "", amount_base_units=shown.base_units,
        amount_tokens=shown.tokens, decimals=shown.decimals,
        proof_json=msgspec.json.format(msgspec.json.encode(answer), indent=2).decode(),
        proof_url=f"/v1/eligibility/{quote(answer.address)}",
        prove_url="/prove?" + urlencode({"address": answer.address}),
        source=source_rows(answer.source), excluded_category=answer.excluded.category if answer.excluded else None,
        excluded_note=answer.excluded.note if answer.excluded else "",
        ask_url="/cases/new?" + urlencode({"address": answer.address}))
    title = "You are in the snapshot" if answer.eligible else "This address is not in the snapshot"
    # main.js adds the proof's Copy and Download buttons.
    return render_page(state, "eligibility.html", title, view, hot="render", keep_as=typed, scripts=PAGE_SCRIPTS)
