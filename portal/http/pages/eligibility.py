"""``/eligibility?address=``: the eligibility answer as a page (a GET form, so it works without JavaScript).

The answer is ``SnapshotSet.eligibility``, the function behind ``GET /v1/eligibility/{address}``; a
malformed address re-renders the home page with the domain's error as a sentence beside the field.
An answer is fixed by the loaded snapshots, so its page is rendered once per banner and kept in
the banner's bounded LRU, keyed by the address as typed (errors are not kept).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import msgspec
from litestar import Request, get

from portal.errors import InvalidAddressError
from portal.http.html_page import HtmlPage
from portal.http.pages.layout import current_banner, html_page
from portal.http.pages.sentences import sentence
from portal.http.pages.units import token_units
from portal.http.pages.views import EligibilityPage, FieldError, HomePage
from portal.runtime import Runtime

MAX_ADDRESS_CHARS = 200  # EVM addresses are 42 characters, Solana's at most 44


# The address is read from the query as text (no signature model: this is the hot page), and bounded here.
@get("/eligibility", operation_id="eligibilityPage", include_in_schema=False, sync_to_thread=False)
def eligibility_page(request: Request) -> HtmlPage:
    state = request.app.state
    runtime: Runtime = state.runtime
    typed = request.query_params.get("address", "").strip()
    if not typed or len(typed) > MAX_ADDRESS_CHARS:
        message = ("Enter the address that held the old token." if not typed else
                   "That is too long for an address: paste only the address, 0x… or a Solana address.")
        shown = HomePage(typed[:MAX_ADDRESS_CHARS], (FieldError("address", message),))
        return html_page(state, "home.html", "Check your address", shown, status_code=400)
    current = current_banner(state)
    cached = current.answers.get(typed)
    if cached is not None:
        return HtmlPage(cached)
    try:
        answer = runtime.snapshots.eligibility(typed)
    except InvalidAddressError as exc:
        errors = (FieldError("address", sentence(exc)),)
        return html_page(state, "home.html", "Check your address", HomePage(typed, errors), status_code=400)
    manifest = next((m for m in runtime.snapshots.manifests if m.id == answer.snapshot_id), None)
    # the snapshot manifest's decimals (carried by an eligible answer), else the setting
    decimals = answer.decimals if answer.decimals is not None else runtime.settings.token_decimals
    amount = int(answer.amount) if answer.amount is not None else 0
    view = EligibilityPage(
        address=answer.address, eligible=answer.eligible, chain="Solana" if typed[:2] != "0x" else "Ethereum",
        snapshot_name=manifest.name if manifest else "", amount_base_units=f"{amount}",
        amount_tokens=token_units(amount, decimals) if decimals is not None else None, decimals=decimals,
        proof_json=msgspec.json.format(msgspec.json.encode(answer), indent=2).decode(),
        proof_url=f"/v1/eligibility/{quote(answer.address)}",
        prove_url="/prove?" + urlencode({"address": answer.address}))
    title = "You are in the snapshot" if answer.eligible else "This address is not in the snapshot"
    body = current.render("eligibility.html", title, view)
    current.answers.put(typed, body)
    return HtmlPage(body)
