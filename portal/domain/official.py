"""What every page shows from the signed policy: the official links and the "support never" rules.

The banner is read from the current main policy (``policies.main_policy``: ``official`` when
published) and nothing else, so a page never states a link or a rule that is not signed. The
rules are the list items of the policy body's section whose heading says "never" (the demo
policy's "What support will never do"); a policy without such a section shows only its links.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from markdown_it import MarkdownIt

from portal.domain import bulletins, claim_window, policies
from portal.store.database import Connection

_markdown = MarkdownIt("commonmark", {"html": False})
_TEXT_TOKENS = ("text", "code_inline")


class OfficialLink(msgspec.Struct, frozen=True):
    label: str
    url: str


class OfficialBanner(msgspec.Struct, frozen=True):
    """``published`` is false before any policy exists; then the page says so instead of links."""

    published: bool
    policy_url: str
    title: str = ""
    version: int = 0
    expired: bool = False
    links: tuple[OfficialLink, ...] = ()
    never_rules: tuple[str, ...] = ()
    not_eligible: tuple[str, ...] = ()
    # The claim window of the signed policy (``portal.domain.claim_window``): shown on every page.
    claim_deadline: str = ""
    days_left: int = 0
    claim_closed: bool = False
    late_notice: str = ""
    late_review: bool = False  # after the deadline, new requests still file and are reviewed as late
    # The security bulletin in force (``portal.domain.bulletins``), shown on ``/`` until it expires.
    bulletin_title: str = ""
    bulletin_url: str = ""
    bulletin_news: tuple[str, ...] = ()


def section_text(body_markdown: str, keyword: str, *, paragraphs: bool) -> tuple[str, ...]:
    """The plain text of each top-level list item (and paragraph, if asked) under the first heading
    whose text contains ``keyword`` (case-insensitive), up to the next heading."""
    found: list[str] = []
    inside = heading = False
    depth = 0
    for token in _markdown.parse(body_markdown):
        if token.type == "heading_open":
            if inside:
                break
            heading = True
        elif token.type == "inline" and heading:
            inside = keyword in token.content.lower()
            heading = False
        elif inside and token.type == "list_item_open":
            depth += 1
        elif inside and token.type == "list_item_close":
            depth -= 1
        elif inside and token.type == "inline" and (depth == 1 or (paragraphs and depth == 0)):
            found.append("".join(child.content if child.type in _TEXT_TOKENS else " " if child.type == "softbreak"
                                 else "" for child in token.children or ()))
    return tuple(found)


def never_rules(body_markdown: str) -> tuple[str, ...]:
    """The list items of the section whose heading says "never" ("What support will never do")."""
    return section_text(body_markdown, "never", paragraphs=False)


def not_eligible_text(body_markdown: str) -> tuple[str, ...]:
    """What the policy says to a holder whose address is not in the snapshot, if it has such a section."""
    return section_text(body_markdown, "not in the snapshot", paragraphs=True)


async def banner(conn: Connection, now: dt.datetime) -> OfficialBanner:
    main = policies.main_policy(await policies.current_all(conn, now))
    if main is None:
        return OfficialBanner(published=False, policy_url="/policy")
    doc = policies.parse_submitted(main.document)
    window = claim_window.of(doc, now)
    bulletin = await bulletins.current(conn, now)
    news = {"bulletin_title": bulletin.title, "bulletin_url": f"/policy/{bulletin.slug}",
            "bulletin_news": section_text(policies.parse_submitted(bulletin.document).body, "going around",
                                          paragraphs=False)} if bulletin else {}
    return OfficialBanner(published=True, policy_url=f"/policy/{main.slug}", title=main.title, version=main.version,
                          expired=main.expired, links=tuple(OfficialLink(link.label, link.url) for link in doc.links),
                          never_rules=never_rules(doc.body), not_eligible=not_eligible_text(doc.body),
                          **({"claim_deadline": window.deadline.strftime("%H:%M UTC on %d %B %Y"),
                              "days_left": window.days_left, "claim_closed": window.closed,
                              "late_notice": window.notice, "late_review": window.late_requests == "review"}
                           if window else {}), **news)
