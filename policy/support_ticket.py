"""Support-ticket imitations: the text of the clone repositories' fake replies (issue 25).

The clones re-post a real issue and answer it: they tag the reporter (``@alice``), say a "support
ticket" was opened or an agent waits on "live chat", and link to a chat host that is not the
project's. A text is such an imitation when it tags a user, uses support-desk words, and has a link
that is not official either named by those words (its shown text) or after them in the same
sentence, at most ``NEAR_CHARS`` on. Each such link becomes a lookalike with the reason first; the
text gets one finding naming the tagged user and the hosts. Pure and total: ``support_ticket_signs`` never raises.
"""

from __future__ import annotations

import re
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import msgspec


class _Link(Protocol):
    """What is read of ``policy.scan.ScannedLink`` (not imported: scan imports this module)."""

    url: str
    shown: str | None
    verdict: str
    reasons: list[str]


ScannedLink = TypeVar("ScannedLink", bound=_Link)

NEAR_CHARS = 200
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
MENTION = re.compile(r"(?<![\w.`/@])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b")
DESK_WORDS = re.compile(
    r"(?i)\b(?:live[\s-]*(?:chat|support|agent)|(?:support|help)[\s-]*(?:ticket|desk|team|chat|agent|portal|center|"
    r"centre)|helpdesk|(?:open|opened|raise|raised|submit|submitted|create|created)\s+(?:a\s+)?ticket|ticket\s*(?:id|no|"
    r"number|#)|chat\s+with\s+(?:an?\s+|our\s+)?(?:agent|support|admin|team)|customer\s+(?:care|service|support))\b")


def _host(url: str) -> str:
    try:
        return urlsplit(url if "://" in url else "https://" + url).hostname or url
    except ValueError:
        return url


def support_ticket_signs(text: str, links: list[ScannedLink]) -> tuple[list[ScannedLink], list[str]]:
    """``links`` with the desk links flagged, and the findings (empty when the text is not an imitation)."""
    mention = MENTION.search(text)
    desk = [match.end() for match in DESK_WORDS.finditer(text)]
    if mention is None or not desk:
        return links, []
    flagged, hosts = [], []
    for link in links:
        at = text.find(link.url)
        near = at >= 0 and any(0 <= at - end <= NEAR_CHARS and not SENTENCE_END.search(text, end, at) for end in desk)
        named = bool(link.shown and DESK_WORDS.search(link.shown))
        if link.verdict != "official" and (near or named):
            host = _host(link.url)
            hosts.append(host)
            reason = (f"imitates a support ticket: tags @{mention[1]} and sends them to {host!r} for support, "
                      "which is not an official link")
            link = msgspec.structs.replace(link, verdict="lookalike", reasons=[reason, *link.reasons])
        flagged.append(link)
    if not hosts:
        return links, []
    return flagged, [f"text imitating a support ticket: it tags @{mention[1]}, uses support-desk words and links "
                     f"to {', '.join(sorted(set(hosts)))} (not official; the project's support is only on its "
                     "official links)"]
