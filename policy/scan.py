"""Scan mode: every URL in a chat message or issue text, each with its verdict.

Text is parsed as Markdown (markdown-it, CommonMark) so that links are seen the way a renderer
shows them: a link's *shown text* and its *target* are compared, and a link whose text names one
host but goes to another (``[https://portal.example.org](https://evil.io)``, the fake "support"
repository trick) is a lookalike whatever the target's own verdict. Bare URLs in plain text and
code are found too, and so are ``www.``-hosts without a scheme. ``scan_text`` never raises.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import msgspec
from markdown_it import MarkdownIt
from markdown_it.token import Token

from policy.links import LinkVerdict, OfficialLinks, check_link, normalize_host

MAX_SCAN_CHARS = 100_000
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})
_BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`()\[\]{}]+")
_TRAILING = ".,;:!?*_~"


class ScannedLink(msgspec.Struct, frozen=True):
    url: str
    shown: str | None  # the Markdown link text, when the URL was the target of a link
    verdict: str
    matched: str | None
    reasons: list[str]


class ScanResult(msgspec.Struct, frozen=True):
    links: list[ScannedLink]
    lookalikes: int


def _bare_urls(text: str) -> list[str]:
    found = []
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        found.append(url if "://" in url else "https://" + url)
    return found


def _host(text: str) -> str | None:
    """The host a link text presents itself as, if it looks like a URL or a host name."""
    candidate = text.strip().strip("<>")
    if not candidate or " " in candidate:
        return None
    if "://" not in candidate:
        if "." not in candidate or not re.match(r"^[\w.-]+\.[\w-]{2,}(/|$|:)", candidate):
            return None
        candidate = "https://" + candidate
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None
    return normalize_host(host) if host else None


def _walk(children: list[Token]) -> list[tuple[str, str | None]]:
    """(url, shown text) pairs in order, from one inline token's children."""
    found: list[tuple[str, str | None]] = []
    index = 0
    while index < len(children):
        token = children[index]
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            shown_parts, index = [], index + 1
            while index < len(children) and children[index].type != "link_close":
                shown_parts.append(children[index].content)
                index += 1
            found.append((href, "".join(shown_parts)))
        elif token.type in ("text", "code_inline"):
            found.extend((url, None) for url in _bare_urls(token.content))
        index += 1
    return found


def _pairs(text: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for token in _markdown.parse(text):
        if token.type == "inline" and token.children:
            found.extend(_walk(token.children))
        elif token.type in ("fence", "code_block"):
            found.extend((url, None) for url in _bare_urls(token.content))
    return found


def _judge(url: str, shown: str | None, official: OfficialLinks) -> ScannedLink:
    verdict: LinkVerdict = check_link(url, official)
    kind, matched, reasons = verdict.verdict, verdict.matched, list(verdict.reasons)
    shown_host = _host(shown) if shown else None
    target_host = _host(url)
    if shown_host and target_host and shown_host != target_host:
        shown_verdict = check_link(shown or "", official)
        kind = "lookalike"
        matched = shown_verdict.matched or matched
        reasons.insert(0, f"the link shows {shown!r} but goes to {target_host!r}")
    return ScannedLink(url=url, shown=shown, verdict=kind, matched=matched, reasons=reasons)


def scan_text(text: str, official: OfficialLinks) -> ScanResult:
    try:
        pairs = _pairs(text[:MAX_SCAN_CHARS])
    except Exception:
        pairs = [(url, None) for url in _bare_urls(text[:MAX_SCAN_CHARS])]
    links = [_judge(url, shown, official) for url, shown in pairs if url]
    return ScanResult(links=links, lookalikes=sum(1 for link in links if link.verdict == "lookalike"))
