"""Cases over JSON: a holder opens one with a proof, reads it and writes in it with the status token;
staff list, claim, reply and decide; anyone reads the corrections (issue 23).

The status token travels only in the ``Authorization: Bearer`` header, as for requests. Nothing here
holds a rule: ``portal.domain.cases`` and ``cases_staff`` do.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.domain import canned_replies, case_evidence, cases, cases_staff
from portal.domain.cases import CaseOpen, CaseOpened, CaseView
from portal.domain.cases_staff import CaseDecision, CaseDetail, CasePage, PublicCorrection
from portal.domain.filing import ProofSubmission, RequestAccess
from portal.domain.proofs.registry import PROOF_FIELDS
from portal.errors import InvalidInputError
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.deps import Ctx
from portal.http.holders import PRIVATE_VIEW, ProofText, bearer_token, meta_of, request_uuid
from portal.http.problems import problem_responses

_CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
#: Words, not only spaces, and no control character but tab and line breaks (``domain.text.clean_text``).
WORDS_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
CaseText = Annotated[str, msgspec.Meta(min_length=1, max_length=cases.MAX_TEXT_CHARS, pattern=WORDS_PATTERN)]
EVIDENCE_PATTERN = "^(0x[0-9a-fA-F]{64}|[1-9A-HJ-NP-Za-km-z]{64,88})$"  # an EVM tx hash or a Solana signature
EvidenceItem = Annotated[str, msgspec.Meta(max_length=100, pattern=EVIDENCE_PATTERN)]
CaseId = Annotated[uuid.UUID, Parameter(description="the case's id")]


class CaseCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``case`` challenge's id with exactly one proof field, the kind, what happened, and optionally the
    transactions (EVM hashes or Solana signatures) that show it."""

    challenge_id: uuid.UUID
    kind: cases.Kind
    text: CaseText
    signature: ProofText | None = None
    tx_hash: ProofText | None = None
    signed_transaction: ProofText | None = None
    evidence: Annotated[list[EvidenceItem], msgspec.Meta(max_length=cases.MAX_EVIDENCE_ITEMS)] = msgspec.field(
        default_factory=list)


class MessageCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: CaseText


class CannedMessageCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Staff's reply by a canned reply: its text is copied into the thread as it is now."""

    canned_reply_id: uuid.UUID


class CaseDecisionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``reason`` is shown to the holder; ``amount`` (snapshot base units) is required for ``upheld``."""

    outcome: cases.Outcome
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=WORDS_PATTERN)]
    amount: Annotated[str, msgspec.Meta(pattern="^0*[1-9][0-9]{0,77}$")] | None = None


def _proof(data: CaseCreate) -> ProofSubmission:
    given = [name for name in PROOF_FIELDS if getattr(data, name) is not None]
    if len(given) != 1:
        raise InvalidInputError("send exactly one of signature, tx_hash or signed_transaction",
                                field=given[1] if len(given) > 1 else "signature")
    return ProofSubmission(data.challenge_id, data.signature, data.tx_hash, data.signed_transaction)


def _access(request: Request, case_id: str) -> RequestAccess:
    return RequestAccess(request_uuid(case_id), bearer_token(request))


@post("/v1/cases", operation_id="openCase", tags=["holders"],
      summary="Open a case with a proof for a purpose=case challenge: 201 with the status token (shown once), "
              "or 200 with the open case of this address and kind",
      description=f"{cases.STAFF_ONLY_HERE} Kinds: not_in_snapshot (an address no snapshot lists), amount_wrong "
                  "(a listed one), late (after the signed claim deadline, when the policy sends late requests to "
                  "review), question.",
      responses=problem_responses(400, 404, 409, 410, 422, 429, 503))
async def open_case(ctx: Ctx, request: Request, data: JSONBody[CaseCreate]) -> Response[CaseOpened]:
    ask = CaseOpen(_proof(data), data.kind, data.text, tuple(data.evidence))
    opened = await cases.open_case(ctx, ask, meta_of(request))
    return Response(opened, status_code=HTTP_201_CREATED if opened.created else HTTP_200_OK)


@get("/v1/cases/{case_id:str}", operation_id="getOwnCase", tags=["holders"], cache_control=PRIVATE_VIEW,
     summary="The holder's own case and its thread (Authorization: Bearer <status_token>)",
     responses=problem_responses(404))
async def get_own_case(ctx: Ctx, request: Request,
                       case_id: str = Parameter(description="case id returned by POST /v1/cases")) -> CaseView:
    return await cases.holder_view(ctx, _access(request, case_id))


@post("/v1/cases/{case_id:str}/messages", operation_id="addOwnCaseMessage", tags=["holders"],
      status_code=HTTP_200_OK, cache_control=PRIVATE_VIEW,
      summary="Add the holder's message to their open case (Authorization: Bearer <status_token>)",
      responses=problem_responses(400, 404, 409, 429))
async def add_own_message(ctx: Ctx, request: Request, data: JSONBody[MessageCreate],
                          case_id: str = Parameter(description="case id returned by POST /v1/cases")) -> CaseView:
    return await cases.holder_message(ctx, _access(request, case_id), data.text, meta_of(request))


@get("/v1/corrections", operation_id="listCorrections", tags=["holders"],
     summary="Every upheld correction: address, amount it adds, category, case, date, and the release carrying it",
     responses=problem_responses(400))
async def list_corrections(
    ctx: Ctx,
    limit: Annotated[int, Parameter(ge=1, le=1000, description="page size")] = 500,
    cursor: Annotated[str | None, Parameter(max_length=200, description="(decided_at, case_id) cursor")] = None,
) -> list[PublicCorrection]:
    async with ctx.db.transaction() as conn:
        return await cases_staff.corrections(conn, limit=limit, cursor=cursor)


@get("/v1/review/cases", operation_id="listCases", tags=["staff"], guards=[require_role("reviewer")],
     summary="Cases, oldest first, keyset-paginated: open ones by default, or one status; by kind; or one address",
     responses=problem_responses(400, 401, 403))
async def list_cases(
    ctx: Ctx,
    kind: Annotated[cases.Kind | None, Parameter(description="one kind")] = None,
    status: Annotated[cases_staff.Status | None, Parameter(description="one status; default: every open one")] = None,
    address: Annotated[str | None, Parameter(max_length=100, description="every case of this address")] = None,
    limit: Annotated[int, Parameter(ge=1, le=cases_staff.MAX_PAGE, description="page size")] = 50,
    cursor: Annotated[str | None, Parameter(max_length=200, description="next_cursor of the previous page")] = None,
) -> CasePage:
    async with ctx.db.transaction() as conn:
        return await cases_staff.queue_page(conn, kind=kind, status=status, address=cases_staff.search_address(address),
                                            limit=limit, cursor=cursor)


@get("/v1/review/cases/{case_id:uuid}", operation_id="getCase", tags=["staff"], guards=[require_role("reviewer")],
     summary="One case for staff: proof, evidence (with what the chain says at the snapshot), thread, lease, outcome",
     responses=problem_responses(401, 403, 404, 503))
async def get_case(ctx: Ctx, case_id: CaseId) -> CaseDetail:
    async with ctx.db.transaction() as conn:
        detail = await cases_staff.case_detail(conn, case_id)
    return msgspec.structs.replace(detail, chain_evidence=await case_evidence.chain_evidence(ctx, detail))


@post("/v1/review/cases/{case_id:uuid}/claim", operation_id="claimCase", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Lease this case to the caller (409 when another holds it or it is closed)",
      responses=problem_responses(401, 403, 404, 409))
async def claim_case(ctx: Ctx, request: Request, staff: Staff, case_id: CaseId) -> CaseDetail:
    async with ctx.db.transaction() as conn:
        return await cases_staff.claim(conn, ctx, staff, case_id, client=client_host(request))


@post("/v1/review/cases/{case_id:uuid}/messages", operation_id="replyToCase", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Staff's reply in the case's thread (lease holder only)",
      responses=problem_responses(400, 401, 403, 404, 409))
async def reply_to_case(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[MessageCreate],
                        case_id: CaseId) -> CaseDetail:
    async with ctx.db.transaction() as conn:
        return await cases_staff.reply(conn, ctx, staff, case_id, data.text, client=client_host(request))


@post("/v1/review/cases/{case_id:uuid}/canned-reply", operation_id="sendCannedReplyToCase", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Send a canned reply's text as staff's reply in the case's thread (lease holder only)",
      responses=problem_responses(400, 401, 403, 404, 409))
async def send_canned_reply(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[CannedMessageCreate],
                            case_id: CaseId) -> CaseDetail:
    async with ctx.db.transaction() as conn:
        text = await canned_replies.text_for_reply(conn, staff, data.canned_reply_id)
        return await cases_staff.reply(conn, ctx, staff, case_id, text, client=client_host(request))


@post("/v1/review/cases/{case_id:uuid}/decision", operation_id="decideCase", tags=["staff"],
      guards=[require_role("reviewer")], status_code=HTTP_200_OK,
      summary="Uphold (with the corrected amount), reject or answer the case (lease holder only); at or above the "
              "four-eyes threshold an upheld amount needs two approvers",
      responses=problem_responses(400, 401, 403, 404, 409))
async def decide_case(ctx: Ctx, request: Request, staff: Staff, data: JSONBody[CaseDecisionCreate],
                      case_id: CaseId) -> CaseDetail:
    decision = CaseDecision(case_id, data.outcome, data.reason, data.amount)
    async with ctx.db.transaction() as conn:
        return await cases_staff.decide(conn, ctx, staff, decision, client=client_host(request))


ROUTES = [open_case, get_own_case, add_own_message, list_corrections, list_cases, get_case, claim_case,
          reply_to_case, send_canned_reply, decide_case]
RATE_LIMITED_PATHS = frozenset({"/v1/cases"})
