"""Scan mode: every URL in a chat message or issue text, each with its verdict.

Text is parsed as Markdown (markdown-it, CommonMark) so that links are seen the way a renderer
shows them: a link's *shown text* and its *target* are compared, and a link whose text names one
host but goes to another (``[https://portal.example.org](https://evil.io)``, the fake "support"
repository trick) is a lookalike whatever the target's own verdict. Bare URLs in plain text and
code are found too, and so are ``www.``-hosts without a scheme. ``scan_text`` never raises.

Targets are read as a browser reads them, because that is where a click goes (issue 19):
- protocol-relative ``//evil.io`` (and ``\\evil.io``, ``https:evil.io``) goes to ``evil.io``;
- a relative target (``[[portal.example.org]](evil)``) goes to a page of whatever site renders the
  message, never to the host the text shows;
- raw HTML anchors (``<a href="...">text</a>``, which GitHub and many renderers honour) are links
  like Markdown ones, shown text and all;
- a link whose text calls itself official (the word "official", or the project's name, confusable
  characters folded) but whose target is not an official link is a lookalike.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import msgspec
from markdown_it import MarkdownIt
from markdown_it.token import Token

from policy.links import MIN_NAME_FOR_FUZZY, LinkVerdict, OfficialLinks, check_link, normalize_host, skeleton
from policy.support_ticket import support_ticket_signs

MAX_SCAN_CHARS = 100_000
# html on: raw HTML arrives as html_inline / html_block tokens, so anchors in it are read as links
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False})
_BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`()\[\]{}]+")
_TRAILING = ".,;:!?*_~"
_SHOWN_WRAPPING = "<>[](){}\"'`*_ \t\n"
_URL_IGNORED = re.compile(r"[\t\n\r]")  # a browser drops these anywhere in a URL (WHATWG URL parser)
_WEB_SCHEME = re.compile(r"(?i)^(https?):[/\\]*")
_PROTOCOL_RELATIVE = re.compile(r"^[/\\]{2,}")
_ANCHOR_START = re.compile(r"(?i)^<a[\s>/]")
_ANCHOR_END = re.compile(r"(?i)^</a\s*>")


class ScannedLink(msgspec.Struct, frozen=True):
    url: str
    shown: str | None  # the Markdown link text, when the URL was the target of a link
    verdict: str
    matched: str | None
    reasons: list[str]


class ScanResult(msgspec.Struct, frozen=True):
    links: list[ScannedLink]
    lookalikes: int
    impersonation: list[str] = []  # the text imitates a support ticket (``policy.support_ticket``)


def _bare_urls(text: str) -> list[str]:
    found = []
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        found.append(url if "://" in url else "https://" + url)
    return found


def browser_target(href: str) -> str:
    """Where a browser goes for ``href`` on an https page, as far as the host is concerned:
    ``//evil.io``, ``\\\\evil.io`` and ``https:\\evil.io`` all go to ``https://evil.io``."""
    text = _URL_IGNORED.sub("", href).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                             "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    scheme = _WEB_SCHEME.match(text)
    if scheme:
        return f"{scheme[1].lower()}://{text[scheme.end():]}"
    relative = _PROTOCOL_RELATIVE.match(text)
    if relative:
        return "https://" + text[relative.end():]
    return text


def _target_host(url: str) -> str | None:
    """The host a link target goes to; None for a relative target (a page of the rendering site)."""
    if "://" not in url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return normalize_host(host) if host else None


def _host(text: str) -> str | None:
    """The host a link text presents itself as, if it looks like a URL or a host name."""
    candidate = text.strip().strip(_SHOWN_WRAPPING)
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


class _HtmlLinks(HTMLParser):
    """Anchors of a piece of raw HTML as (href, shown text), and bare URLs of its other text and
    attributes; entities decoded as a browser decodes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str | None]] = []
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._close()
            href = next((value for name, value in attrs if name == "href" and value is not None), None)
            if href is not None:
                self._anchor = (href, [])
            return
        for _, value in attrs:
            self.found.extend((url, None) for url in _bare_urls(value or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._anchor[1].append(data)
        else:
            self.found.extend((url, None) for url in _bare_urls(data))

    def _close(self) -> None:
        if self._anchor is not None:
            self.found.append((self._anchor[0], "".join(self._anchor[1])))
            self._anchor = None

    def links(self, html: str) -> list[tuple[str, str | None]]:
        self.feed(html)
        self.close()
        self._close()
        return self.found


def _html_links(html: str) -> list[tuple[str, str | None]]:
    return _HtmlLinks().links(html)


def _shown_text(children: list[Token], index: int, end: re.Pattern[str] | None) -> tuple[str, int]:
    """The text a reader sees from ``children[index]`` up to the link's end (``link_close``, or the
    html_inline closing tag matching ``end``); returns it and the index of that end."""
    parts = []
    while index < len(children):
        child = children[index]
        if (child.type == "link_close" and end is None) or (
                end is not None and child.type == "html_inline" and end.match(child.content)):
            break
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        index += 1
    return "".join(parts), index


def _walk(children: list[Token]) -> list[tuple[str, str | None]]:
    """(url, shown text) pairs in order, from one inline token's children."""
    found: list[tuple[str, str | None]] = []
    index = 0
    while index < len(children):
        token = children[index]
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            shown, index = _shown_text(children, index + 1, None)
            found.append((href, shown))
        elif token.type == "html_inline" and _ANCHOR_START.match(token.content):
            anchors = [(href, shown) for href, shown in _html_links(token.content) if shown is not None]
            if anchors:
                shown, index = _shown_text(children, index + 1, _ANCHOR_END)
                found.append((anchors[0][0], shown))
        elif token.type == "html_inline":
            found.extend(_html_links(token.content))
        elif token.type in ("text", "code_inline"):
            found.extend((url, None) for url in _bare_urls(token.content))
        index += 1
    return found


# ``[shown](target)`` as chat clients render it: Discord and Telegram make a masked link of it even
# where CommonMark sees code (a line indented by a tab or four spaces), so a code block is no hiding place.
_MASKED_LINK = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]{0,500}\]){1,500})\]\(\s*<?([^\s()<>]{1,2048})>?\s*\)")


def _code_links(code: str) -> list[tuple[str, str | None]]:
    """Masked links and HTML anchors in code, as a chat client or an HTML renderer would show them, then
    the bare URLs outside them."""
    found: list[tuple[str, str | None]] = [(m.group(2), m.group(1)) for m in _MASKED_LINK.finditer(code)]
    found.extend((href, shown) for href, shown in _html_links(code) if shown is not None)
    inside = {part.strip() for pair in found for part in pair if part}   # a paired URL is judged with its pair
    found.extend((url, None) for url in _bare_urls(_MASKED_LINK.sub(" ", code)) if url not in inside)
    return found


def _pairs(text: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for token in _markdown.parse(text):
        if token.type == "inline" and token.children:
            found.extend(_walk(token.children))
        elif token.type in ("fence", "code_block"):
            found.extend(_code_links(token.content))
        elif token.type == "html_block":
            found.extend(_html_links(token.content))
    return found


def _claims_official(shown: str, official: OfficialLinks) -> str | None:
    """The word by which a link's text claims to be official ("official", or the project's name,
    confusable characters folded), or None."""
    claims = {skeleton("official"): "official"}
    claims.update({skeleton(name): name for name in official.names if len(name) >= MIN_NAME_FOR_FUZZY})
    for word in re.findall(r"\w+", shown.lower()):
        folded = skeleton(word)
        if folded in claims:
            return claims[folded]
    return None


def _judge(url: str, shown: str | None, official: OfficialLinks) -> ScannedLink:
    target = browser_target(url)
    verdict: LinkVerdict = check_link(target, official)
    kind, matched, reasons = verdict.verdict, verdict.matched, list(verdict.reasons)
    if shown is None:  # a bare URL: what it says is where it goes
        return ScannedLink(url=url, shown=shown, verdict=kind, matched=matched, reasons=reasons)
    shown_host = _host(shown)
    target_host = _target_host(target) or _host(target)  # "evil.io": many renderers make it https://evil.io
    claim = _claims_official(shown, official)
    if shown_host and shown_host != target_host:
        shown_verdict = check_link(shown.strip().strip(_SHOWN_WRAPPING), official)
        kind = "lookalike"
        matched = shown_verdict.matched or matched
        where = repr(target_host) if target_host else f"the relative address {url!r} (a page of the site showing it)"
        reasons.insert(0, f"the link shows {shown!r} but goes to {where}")
    elif claim and kind != "official":
        kind = "lookalike"
        where = repr(target_host) if target_host else f"the relative address {url!r}"
        reasons.insert(0, f"the link text {shown!r} says {claim!r} but goes to {where}, which is not an official link")
    return ScannedLink(url=url, shown=shown, verdict=kind, matched=matched, reasons=reasons)


def scan_text(text: str, official: OfficialLinks) -> ScanResult:
    try:
        pairs = _pairs(text[:MAX_SCAN_CHARS])
    except Exception:
        pairs = [(url, None) for url in _bare_urls(text[:MAX_SCAN_CHARS])]
    links = [_judge(url, shown, official) for url, shown in pairs if url]
    links, impersonation = support_ticket_signs(text[:MAX_SCAN_CHARS], links)
    return ScanResult(links=links, lookalikes=sum(1 for link in links if link.verdict == "lookalike"),
                      impersonation=impersonation)
