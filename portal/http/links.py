"""Link routes: check one URL, scan a text for every URL, export the rules for the places scams happen,
and the staff view of the lookalikes seen (confirm or dismiss each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import JSONBody, Parameter

from policy.discord_automod import LIMITS, AutomodOptions
from policy.link_exports import EXPORT_FORMATS, MEDIA_TYPES
from policy.links import LinkVerdict
from policy.scan import MAX_SCAN_CHARS, ScanResult
from portal.domain import links, lookalikes
from portal.domain.lookalikes import Decision, SeenLookalike
from portal.http.auth import Staff, require_role
from portal.http.clients import client_host
from portal.http.policy_deps import Ctx
from portal.http.problems import problem_responses

# MAX_SCAN_CHARS characters of text, non-ASCII (up to 4 bytes each in UTF-8) or escaped.
SCAN_MAX_BODY_BYTES = 4 * MAX_SCAN_CHARS + 1024
MAX_LOOKALIKES_LISTED = 500
ExportFormat = Literal["json", "rules", "discord-automod", "metamask-issue", "phantom-yaml", "scamsniffer-json",
                       "adblock"]
assert set(ExportFormat.__args__) == set(EXPORT_FORMATS)  # type: ignore[attr-defined]  # one list of formats
Snowflake = Annotated[str, Parameter(pattern=r"^[0-9]{17,20}$")]


@dataclass
class RulesOperation(Operation):
    """Documents every format's media type in the 200 response (JSON: an object or an array)."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            text = Schema(type=OpenAPIType.STRING)
            ok.content = {
                "application/json": OpenAPIMediaType(schema=Schema(
                    one_of=[Schema(type=OpenAPIType.OBJECT), Schema(type=OpenAPIType.ARRAY,
                                                                    items=Schema(type=OpenAPIType.STRING))],
                    description="json, rules, discord-automod: an object; scamsniffer-json: an array of hosts")),
                "application/yaml": OpenAPIMediaType(schema=Schema(
                    type=OpenAPIType.ARRAY, description="phantom-yaml: blocklist.yaml entries",
                    items=Schema(type=OpenAPIType.OBJECT, required=["url"], properties={
                        "url": text, "description": text}))),
                "text/markdown": OpenAPIMediaType(schema=text),
                "text/plain": OpenAPIMediaType(schema=text)}


class LinkScan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A chat message or issue text (Markdown or plain)."""

    text: Annotated[str, msgspec.Meta(max_length=MAX_SCAN_CHARS)]


class LookalikeDecision(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Confirm a seen host (it goes into the blocklist exports) or dismiss it (it does not)."""

    decision: Decision


@get("/v1/links/check", operation_id="checkLink", tags=["policy"],
     summary="Is this URL official, a lookalike, or unknown (against the signed policy's links)")
async def check_link(ctx: Ctx, url: str = Parameter(description="the URL to check", max_length=2048)
                     ) -> LinkVerdict:
    return await links.check_url(ctx, url)


@post("/v1/links/scan", operation_id="scanLinks", tags=["policy"], status_code=200,
      request_max_body_size=SCAN_MAX_BODY_BYTES,
      summary="Every URL in a text with its verdict; a Markdown link showing one host but going to another "
              "is a lookalike", responses=problem_responses(400))
async def scan_links(ctx: Ctx, data: JSONBody[LinkScan]) -> ScanResult:
    return await links.scan(ctx, data.text)


@get("/v1/links/rules", operation_id="linkRules", tags=["policy"],
     summary="The link rules for chat bots (json), the rule model (rules), Discord AutoMod rule bodies, "
             "MetaMask's issue form, Phantom's blocklist.yaml, ScamSniffer's JSON, or an ad-block list",
     operation_class=RulesOperation, responses=problem_responses(400, 404))
async def link_rules(
    ctx: Ctx,
    format: Annotated[ExportFormat, Parameter(description="the consumer's format (default json)")] = "json",
    alert_channel: Annotated[Snowflake | None, Parameter(
        description="discord-automod: the channel id that receives SEND_ALERT_MESSAGE alerts")] = None,
    exempt_role: Annotated[list[Snowflake] | None, Parameter(
        description="discord-automod: role ids the rules spare (moderators), repeatable", max_items=20)] = None,
    exempt_channel: Annotated[list[Snowflake] | None, Parameter(
        description="discord-automod: channel ids the rules spare, repeatable", max_items=50)] = None,
    timeout_seconds: Annotated[int | None, Parameter(
        ge=1, le=LIMITS["timeout_seconds"], description="discord-automod: add a TIMEOUT of this length")] = None,
    keyword_rules: Annotated[int, Parameter(
        ge=1, le=LIMITS["keyword_rules"], description="discord-automod: at most this many KEYWORD rules")] = 6,
) -> Response[bytes]:
    options = AutomodOptions(alert_channel=alert_channel, exempt_roles=tuple(exempt_role or ()),
                             exempt_channels=tuple(exempt_channel or ()), timeout_seconds=timeout_seconds,
                             keyword_rules=keyword_rules)
    body = await links.export_rules_as(ctx, format, options)
    return Response(body, media_type=MEDIA_TYPES[format])


@get("/v1/links/lookalikes", operation_id="listLookalikes", tags=["staff"], guards=[require_role("reviewer")],
     summary="Lookalike hosts the checker saw, most seen first (host and reasons only, no client data)",
     responses=problem_responses(400, 401, 403))
async def list_lookalikes(
    ctx: Ctx,
    status: Annotated[Literal["new", "confirmed", "dismissed"] | None, Parameter(
        description="only this status (default: all)")] = None,
    limit: Annotated[int, Parameter(ge=1, le=MAX_LOOKALIKES_LISTED, description="at most this many")] = 100,
) -> list[SeenLookalike]:
    return await lookalikes.listing(ctx, status, limit)


@post("/v1/links/lookalikes/{host:str}/decision", operation_id="decideLookalike", tags=["staff"], status_code=200,
      guards=[require_role("reviewer")], summary="Confirm a seen lookalike (exports take it) or dismiss it; audited",
      responses=problem_responses(400, 401, 403, 404))
async def decide_lookalike(
    ctx: Ctx, staff: Staff, request: Request,
    host: Annotated[str, Parameter(description="the seen host", max_length=253)],
    data: JSONBody[LookalikeDecision],
) -> SeenLookalike:
    return await lookalikes.decide(ctx, host, data.decision, staff.actor, client_host(request), staff.audit_data())


ROUTES = [check_link, scan_links, link_rules, list_lookalikes, decide_lookalike]
