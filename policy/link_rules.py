"""One rule model for every place the link rules go: official hosts, lookalike hosts, regexes, names.

``build_rules`` gathers, from the signed policy's ``OfficialLinks``:
- the official hosts (never blocked anywhere: see ``blocks_official``);
- the lookalike hosts: those staff confirmed from what ``/check`` and ``/scan`` saw (``seen``), and
  those generated here from the official names (typos, look-alike characters, other TLDs, affixes).
  Every generated host is one ``check_link`` itself calls a lookalike, so an export never blocks what
  the checker would let through, nor the reverse;
- link regexes (userinfo tricks, raw IPs, plain-http official hosts, the official name inside another
  domain) and impersonator name patterns, in a dialect the Rust ``regex`` crate and Python's ``re``
  both read (checked in ``policy.discord_automod``).

Invariants: a lookalike's ``ascii`` is its IDNA (punycode) form and ``host`` its Unicode form; no
lookalike is, contains as a suffix, or is a substring of an official host; the lookalikes are sorted
(seen first, then generated, each by ``ascii``), so the same policy and the same confirmations give
the same model, and every export of it the same bytes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Literal

import idna
import msgspec

from policy.links import CONFUSABLES, OfficialLinks, check_link, is_ip_host, name_of, normalize_host, registrable

RULES_FORMAT_VERSION = 3
LOOKALIKE_TLDS = ("app", "cc", "co", "com", "finance", "info", "io", "live", "me", "net", "online", "org", "pro",
                  "site", "support", "top", "xyz")
AFFIX_WORDS = ("airdrop", "claim", "connect", "help", "migrate", "migration", "official", "portal", "support",
               "sync", "ticket", "verify", "wallet")
AFFIX_TLDS = ("app", "com", "io", "net", "org", "xyz")
# ASCII swaps that read alike in most chat fonts (digit for letter, two letters for one)
ASCII_SWAPS = {"o": ("0",), "l": ("1", "i"), "i": ("1", "l"), "e": ("3",), "a": ("4",), "s": ("5",),
               "m": ("rn",), "w": ("vv",), "g": ("q",), "u": ("v",), "b": ("6",), "t": ("7",)}
HOMOGLYPHS_PER_LETTER = 2
IMPERSONATOR_WORDS = ("admin", "administrator", "customer care", "customer service", "help desk", "helpdesk",
                      "mod", "moderator", "official support", "support", "support team", "ticket")
IMPERSONATOR_NAME_SUFFIXES = ("admin", "help", "mod", "support", "team")


class Lookalike(msgspec.Struct, frozen=True):
    ascii: str  # the IDNA (punycode) form, what DNS and the blocklists hold
    host: str  # the Unicode form, what a reader sees pasted in a chat
    source: Literal["seen", "generated"]
    matched: str | None  # the official host or domain it imitates


class RulePattern(msgspec.Struct, frozen=True):
    name: str
    regex: str
    about: str


class LinkRules(msgspec.Struct, frozen=True):
    version: int
    policy_slug: str
    policy_version: int
    policy_url: str  # the signed policy's page: where a blocked message points people
    project: str  # the name people know the project by (the first official name)
    official_hosts: tuple[str, ...]
    official_domains: tuple[str, ...]
    lookalikes: tuple[Lookalike, ...]
    link_patterns: tuple[RulePattern, ...]
    impersonator_words: tuple[str, ...]
    impersonator_patterns: tuple[RulePattern, ...]


_PLAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@functools.lru_cache(maxsize=65536)
def to_ascii(host: str) -> str | None:
    """The IDNA form of a host (UTS #46 mapping), or None when it cannot be a DNS name."""
    host = host.strip().lower().rstrip(".")
    labels = host.split(".")
    if all(_PLAIN_LABEL.fullmatch(label) and label[2:4] != "--" for label in labels):
        return host  # plain letters, digits and inner hyphens: already its own IDNA form, no round trip
    try:
        return idna.encode(normalize_host(host), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def blocks_official(candidate: str, official: OfficialLinks) -> bool:
    """Would blocking ``candidate`` (as a host rule ``||c^`` or a substring keyword ``*c*``) block an
    official host? True when it is one, a parent domain of one, or any substring of one."""
    forms = {candidate, to_ascii(candidate) or candidate, normalize_host(candidate)}
    return any(form and form in host for form in forms for host in _official_forms(official))


@functools.lru_cache(maxsize=8)
def _official_forms(official: OfficialLinks) -> frozenset[str]:
    return frozenset(official.hosts) | {to_ascii(h) or h for h in official.hosts}


def _homoglyphs() -> dict[str, tuple[str, ...]]:
    """ASCII letter -> the first few IDNA-valid characters Unicode's confusables.txt maps to it."""
    reverse: dict[str, list[str]] = {}
    for char, prototype in CONFUSABLES.items():
        if len(prototype) == 1 and prototype.isascii() and prototype.isalpha() and not char.isascii():
            reverse.setdefault(prototype, []).append(char)
    return {letter: tuple(sorted(chars)[:HOMOGLYPHS_PER_LETTER]) for letter, chars in reverse.items()}


HOMOGLYPHS = _homoglyphs()


def name_variants(name: str) -> set[str]:
    """Typos of a name: one character dropped, doubled, swapped with its neighbour, read-alike ASCII,
    a hyphen inserted, or one letter replaced by a confusable Unicode character."""
    variants: set[str] = set()
    for i, char in enumerate(name):
        variants.add(name[:i] + name[i + 1:])
        variants.add(name[:i] + char + name[i:])
        if i + 1 < len(name):
            variants.add(name[:i] + name[i + 1] + char + name[i + 2:])
        if 0 < i:
            variants.add(name[:i] + "-" + name[i:])
        for swap in ASCII_SWAPS.get(char, ()) + HOMOGLYPHS.get(char, ()):
            variants.add(name[:i] + swap + name[i + 1:])
    variants.discard(name)
    return {v for v in variants if v and not v.startswith("-") and not v.endswith("-")}


def _candidates(domain: str) -> Iterable[str]:
    name = name_of(domain)
    suffix = domain[len(name) + 1:]
    tlds = sorted({suffix, *LOOKALIKE_TLDS})
    for variant in sorted(name_variants(name)):
        yield f"{variant}.{suffix}"
        yield from (f"{variant}.{tld}" for tld in LOOKALIKE_TLDS)
    yield from (f"{name}.{tld}" for tld in tlds)
    for word in AFFIX_WORDS:
        for tld in AFFIX_TLDS:
            yield from (f"{name}-{word}.{tld}", f"{word}-{name}.{tld}", f"{name}{word}.{tld}")


@functools.lru_cache(maxsize=8)
def generate_lookalikes(official: OfficialLinks) -> tuple[Lookalike, ...]:
    """Hosts an impersonator would register, each one ``check_link`` calls a lookalike (cached per
    policy: about a thousand checks per official domain)."""
    found: dict[str, Lookalike] = {}
    for domain in official.registrable:
        for candidate in _candidates(domain):
            lookalike = _lookalike(candidate, "generated", official)
            if lookalike is not None:
                found.setdefault(lookalike.ascii, lookalike)
    return tuple(found[key] for key in sorted(found))


def _lookalike(candidate: str, source: Literal["seen", "generated"], official: OfficialLinks) -> Lookalike | None:
    host = normalize_host(candidate)
    ascii_form = to_ascii(host)
    if ascii_form is None or is_ip_host(host) or "." not in host or blocks_official(host, official):
        return None
    if registrable(host) in official.registrable:
        return None
    verdict = check_link(f"https://{ascii_form}/", official)
    if source == "generated" and verdict.verdict != "lookalike":
        return None
    return Lookalike(ascii=ascii_form, host=normalize_host(ascii_form), source=source, matched=verdict.matched)


def link_patterns(official: OfficialLinks) -> list[RulePattern]:
    """Link tricks as regexes (the checker's rules that a host list cannot express)."""
    end = r"(?:[:/?#\s]|$)"
    octet = r"(?:[1-9]|[1-9]\d|1[01]\d|12[0-689]|1[3-9]\d|2[0-4]\d|25[0-5])"  # no 0.x.x.x nor 127.x.x.x loopback
    patterns = [
        RulePattern("userinfo", r"(?i)https?://[^\s/?#@]+@",
                    "a link that shows one host before '@' and goes to another"),
        RulePattern("ipv4", rf"(?i)https?://{octet}(?:\.\d{{1,3}}){{3}}{end}", "a raw IPv4 address instead of a name"),
        RulePattern("ip-number", rf"(?i)https?://(?:0x[0-9a-f]{{1,8}}|\d{{8,10}}){end}",
                    "an IPv4 address written as one hex or decimal number"),
        RulePattern("ipv6", r"(?i)https?://\[[0-9a-f:.]*[1-9a-f][0-9a-f:.]*:[0-9a-f:.]*\]",
                    "a raw IPv6 address instead of a name"),
    ]
    named = sorted(h for h in official.hosts if not is_ip_host(h) and "." in h)
    for index, chunk in enumerate(_chunks([re.escape(to_ascii(h) or h) for h in named], 200)):
        patterns.append(RulePattern(f"plain-http-{index + 1}", rf"(?i)http://(?:www\.)?(?:{'|'.join(chunk)}){end}",
                                    "an official host over plain http"))
    for domain in official.registrable:
        name = name_of(domain)
        if len(name) >= 4 and re.fullmatch(r"[a-z0-9-]+", name):
            patterns.append(RulePattern(f"name-inside-{name}", _name_inside(name, domain[len(name):]),
                                        f"{name!r} inside a host that is not under {domain}"))
    return patterns


def _chunks(items: list[str], max_chars: int) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for item in items:
        if chunks[-1] and len("|".join([*chunks[-1], item])) > max_chars:
            chunks.append([])
        chunks[-1].append(item)
    return [chunk for chunk in chunks if chunk]


def _not_followed_by(rest: str) -> str:
    """A regex (no look-ahead: the Rust dialect has none) for "the host goes on, but not with ``rest``
    and then its end": ``.org`` -> a character other than '.', or '.' then not 'o', ... or '.org' and
    then more host characters."""
    stop = r"\s/?#:@"
    if not rest:
        return r"[a-z0-9-]|\.[a-z0-9]"
    head, tail = re.escape(rest[0]), _not_followed_by(rest[1:])
    return f"[^{re.escape(rest[0])}{stop}]|{head}(?:{tail})"


def _name_inside(name: str, rest: str) -> str:
    """``name`` in a URL's host where the host is not ``…name.<suffix>`` (an official subdomain)."""
    return rf"(?i)https?://[^\s/?#@]*(?:[a-z0-9-]{name}|{name}(?:{_not_followed_by(rest)}))"


def impersonator_patterns(names: Iterable[str]) -> list[RulePattern]:
    """Display names that claim to be staff: "<project> support", "admin", with read-alike letters."""
    leet = {"a": "[a4@]", "e": "[e3]", "i": "[i1l!]", "l": "[l1i]", "o": "[o0]", "s": "[s5$]", "t": "[t7]"}

    def fuzzy(word: str) -> str:
        return "".join(leet.get(char, re.escape(char)) for char in word)

    staff = "|".join(fuzzy(w) for w in ("support", "admin", "moderator", "helpdesk", "ticket"))
    patterns = [RulePattern("staff-words", rf"(?i)(?:^|[^a-z])(?:{staff})(?:[^a-z]|$)",
                            "a display name or bio that calls itself support, admin or moderator")]
    suffixes = "|".join(fuzzy(w) for w in IMPERSONATOR_NAME_SUFFIXES)
    for name in sorted(set(names)):
        if re.fullmatch(r"[a-z0-9-]{3,40}", name):
            patterns.append(RulePattern(f"project-staff-{name}", rf"(?i){fuzzy(name)}[\s._-]*(?:{suffixes})",
                                        f"{name!r} followed by support, team, admin, help or mod"))
    return patterns


def build_rules(official: OfficialLinks, *, policy: tuple[str, int], policy_url: str,
                seen: Iterable[str] = (), generate: bool = True) -> LinkRules:
    """The model every export reads. ``policy`` is (slug, version); ``seen`` the confirmed hosts."""
    lookalikes: dict[str, Lookalike] = {}
    for host in sorted(set(seen)):
        found = _lookalike(host, "seen", official)
        if found is not None:
            lookalikes.setdefault(found.ascii, found)
    if generate:
        for found in generate_lookalikes(official):
            lookalikes.setdefault(found.ascii, found)
    ordered = sorted(lookalikes.values(), key=lambda item: (item.source != "seen", item.ascii))
    project = official.names[0] if official.names else policy[0]
    words = sorted({*IMPERSONATOR_WORDS, *(f"{n} {s}" for n in official.names for s in IMPERSONATOR_NAME_SUFFIXES)})
    return LinkRules(version=RULES_FORMAT_VERSION, policy_slug=policy[0], policy_version=policy[1],
                     policy_url=policy_url, project=project, official_hosts=official.hosts,
                     official_domains=official.registrable, lookalikes=tuple(ordered),
                     link_patterns=tuple(link_patterns(official)), impersonator_words=tuple(words),
                     impersonator_patterns=tuple(impersonator_patterns(official.names)))
