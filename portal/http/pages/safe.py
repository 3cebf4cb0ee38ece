"""``/safe/{challenge_id}``: a Safe's owners sign one at a time, and see "k of threshold".

The same domain functions as the JSON API (``safe_gather.progress``, ``safe_gather.add_signature``,
``filing.submit``); the page works without JS (paste forms). With JS, ``safe.js`` asks an injected
wallet (EIP-6963) for ``eth_signTypedData_v4`` of the SafeMessage and posts the form for the owner.
The challenge id in the link is what the holder sends to the other owners. The status token is shown
once, to whoever's signature filed the request, on the confirmation page.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Template

from portal.domain import filing, safe_gather
from portal.domain.context import UseCaseContext
from portal.domain.filing import ProofOutcome
from portal.domain.safe_gather import SafeProgress
from portal.errors import PortalError
from portal.http.copy import journey as journey_copy
from portal.http.copy import safe as copy
from portal.http.copy.errors import sentence
from portal.http.deps import Ctx
from portal.http.holders import meta_of
from portal.http.pages.layout import render_page
from portal.http.pages.same_origin import refuse_cross_site
from portal.http.pages.view_models import ConfirmationPage, FieldError, StopPage

SAFE_SCRIPTS = ("js/main.js", "js/safe.js")
NO_STORE = {"Cache-Control": "no-store"}
OWNER_CODES = frozenset({"signature_mismatch", "duplicate_signature"})
ChallengeId = Annotated[uuid.UUID, Parameter(description="the safe challenge")]
_TIME = "%H:%M UTC on %d %B %Y"


class SignatureForm(msgspec.Struct, frozen=True):
    signature: str = ""


class WholeForm(msgspec.Struct, frozen=True):
    whole: str = ""


class OwnerRow(msgspec.Struct, frozen=True):
    owner: str
    signed: bool
    link: str


class SafePage(msgspec.Struct, frozen=True):
    challenge_id: str
    safe: str
    chain_id: int
    block_number: int
    version: str
    threshold: int
    signed: int
    owners: tuple[OwnerRow, ...]
    message: str
    typed_data: dict[str, object]
    typed_data_json: str
    safe_message_hash: str
    expires: str
    expired: bool
    used: bool
    for_owner: str | None
    words: dict[str, object]
    errors: tuple[FieldError, ...] = ()


def _page(progress: SafeProgress, now_expired: bool, for_owner: str | None,
          errors: tuple[FieldError, ...] = ()) -> SafePage:
    base = f"/safe/{progress.challenge_id}"
    owners = tuple(OwnerRow(o.owner, o.signed, f"{base}?owner={o.owner}") for o in progress.owners)
    words = {"heading": copy.HEADING, "intro": copy.INTRO, "nothing_spent": copy.NOTHING_SPENT,
             "warning": copy.one_chain_warning(progress.safe_address, progress.chain_id),
             "owner_steps": copy.OWNER_STEPS, "safe_wallet_steps": copy.SAFE_WALLET_STEPS,
             "paste_owner_hint": copy.PASTE_OWNER_HINT, "whole_hint": copy.WHOLE_HINT, "expired": copy.EXPIRED,
             "used": copy.USED, "retry": copy.RETRY}
    return SafePage(str(progress.challenge_id), progress.safe_address, progress.chain_id, progress.block_number,
                    progress.version, progress.threshold, progress.signed, owners, progress.message,
                    progress.typed_data, json.dumps(progress.typed_data, indent=1), progress.safe_message_hash,
                    progress.expires_at.strftime(_TIME),
                    now_expired, progress.used, for_owner, words, errors)


async def render_progress(ctx: UseCaseContext, state: State, challenge_id: uuid.UUID, *, for_owner: str | None = None,
                          errors: tuple[FieldError, ...] = (), status_code: int = 200) -> Template:
    """The progress page (the journey shows it right after issuing a ``safe`` challenge)."""
    progress = await safe_gather.progress(ctx, challenge_id)
    page = _page(progress, ctx.now() >= progress.expires_at, for_owner, errors)
    return render_page(state, "safe.html", "Sign with your Safe's owners", page, scripts=SAFE_SCRIPTS,
                       status_code=status_code, headers=NO_STORE)


def _confirmation(ctx: UseCaseContext, state: State, outcome: ProofOutcome) -> Template:
    confirmation = ConfirmationPage(
        request_id=str(outcome.request_id), status_token=outcome.status_token,
        status_url=f"/requests/{outcome.request_id}",
        bookmark_url=f"/requests/{outcome.request_id}#token={outcome.status_token}" if outcome.status_token else None,
        expected_review_hours=outcome.expected_review_hours,
        token_file=journey_copy.token_file(str(outcome.request_id), outcome.status_token, ctx.settings.public_url))
    title = "Your request has been sent" if outcome.created else "You already have a request"
    return render_page(state, "confirmation.html", title, confirmation, headers=NO_STORE, scripts=("js/main.js",))


@get("/safe/{challenge_id:uuid}", operation_id="safeSigningPage", include_in_schema=False)
async def safe_page(ctx: Ctx, state: State, challenge_id: ChallengeId,
                    owner: str = Parameter(default="", max_length=42)) -> Template:
    try:
        return await render_progress(ctx, state, challenge_id, for_owner=owner or None)
    except PortalError as exc:
        stop = StopPage("This link does not work", (sentence(exc),), "/")
        return render_page(state, "stop.html", "This link does not work", stop, status_code=exc.status)


async def _post(ctx: Ctx, state: State, request: Request, challenge_id: uuid.UUID, text: str, field: str) -> Template:
    if not text.strip():
        return await render_progress(ctx, state, challenge_id, errors=(FieldError(field, copy.EMPTY),),
                                     status_code=400)
    try:
        if field == "signature":
            progress = await safe_gather.add_signature(ctx, challenge_id, text.strip(), meta_of(request))
            if progress.request is not None:
                return _confirmation(ctx, state, progress.request)
        else:
            proof = filing.ProofSubmission(challenge_id, signature=text.strip())
            return _confirmation(ctx, state, await filing.submit(ctx, proof, meta_of(request)))
    except PortalError as exc:
        # Which owner is not an owner, or signed already, says more here than the holders' general sentence.
        words = exc.detail if exc.code in OWNER_CODES else sentence(exc)
        return await render_progress(ctx, state, challenge_id, errors=(FieldError(field, words),),
                                     status_code=exc.status)
    return await render_progress(ctx, state, challenge_id)


@post("/safe/{challenge_id:uuid}", operation_id="safeSignPage", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def safe_sign(ctx: Ctx, state: State, request: Request, challenge_id: ChallengeId,
                    data: URLEncodedBody[SignatureForm]) -> Template:
    return await _post(ctx, state, request, challenge_id, data.signature, "signature")


@post("/safe/{challenge_id:uuid}/whole", operation_id="safeWholePage", include_in_schema=False, status_code=200,
      before_request=refuse_cross_site)
async def safe_whole(ctx: Ctx, state: State, request: Request, challenge_id: ChallengeId,
                     data: URLEncodedBody[WholeForm]) -> Template:
    return await _post(ctx, state, request, challenge_id, data.whole, "whole")


ROUTES = [safe_page, safe_sign, safe_whole]
RATE_LIMITED_PATHS = frozenset({"/safe/*"})
