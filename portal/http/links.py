"""Link routes: check one URL, scan a text for every URL, export the rules for chat moderation bots."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import JSONBody, Parameter

from policy.links import LinkVerdict
from policy.scan import MAX_SCAN_CHARS, ScanResult
from portal.domain import links
from portal.http.policy_deps import Ctx
from portal.http.problems import problem_responses

# MAX_SCAN_CHARS characters of text, non-ASCII (up to 4 bytes each in UTF-8) or escaped.
SCAN_MAX_BODY_BYTES = 4 * MAX_SCAN_CHARS + 1024


class LinkScan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A chat message or issue text (Markdown or plain)."""

    text: Annotated[str, msgspec.Meta(max_length=MAX_SCAN_CHARS)]


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
     summary="Official hosts and lookalike patterns for chat auto-moderation", responses=problem_responses(404))
async def link_rules(ctx: Ctx) -> dict:
    return await links.link_rules(ctx)


ROUTES = [check_link, scan_links, link_rules]
