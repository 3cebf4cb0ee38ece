"""The lookalike-link checker: is a URL one of the signed policy's official links, a lookalike, or unknown?

Rules, in order (each verdict carries its reasons):
- not parseable as a web URL -> unknown;
- userinfo before the host (``https://portal.example.org@evil.io``) -> lookalike: the real host is after '@';
- a raw IP host (dotted, integer, hex or octal forms, IPv6) -> lookalike;
- an official host (case, trailing dot, port 443 and path do not matter) over https -> official; over
  http -> lookalike ("not https");
- a host whose confusable skeleton (IDN/punycode decoded; Cyrillic/Greek look-alikes, 0->o, 1->l,
  rn->m, vv->w) equals an official name -> lookalike;
- a registrable name within edit distance 2 of an official one -> lookalike;
- the official name inside another registrable domain (``portal.example.org.evil.io``,
  ``example-org-migration.com``, ``exampleorg.com``) -> lookalike;
- anything else -> unknown.
Registrable names use a small built-in list of multi-label public suffixes (co.uk, com.au, ...);
this is a documented approximation of the Public Suffix List. ``check_link`` never raises.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit

import idna
import msgspec
from rapidfuzz.distance import Levenshtein

from policy.document import PolicyDocument

MAX_EDIT_DISTANCE = 2
MIN_NAME_FOR_FUZZY = 4
MULTI_LABEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "com.br", "com.cn",
    "co.in", "co.kr", "com.mx", "com.tr", "co.za", "com.sg", "com.hk", "github.io", "pages.dev", "vercel.app",
})
CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "е": "e", "ё": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w",
    # Latin look-alikes and digits
    "0": "o", "1": "l", "3": "e", "5": "s", "ı": "i", "ł": "l", "ɡ": "g", "ß": "b", "à": "a", "á": "a", "â": "a",
    "ä": "a", "å": "a", "è": "e", "é": "e", "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i", "ï": "i", "ò": "o",
    "ó": "o", "ô": "o", "ö": "o", "ù": "u", "ú": "u", "û": "u", "ü": "u", "ý": "y", "ñ": "n", "ç": "c", "i": "l",
}
MULTI_CHAR_CONFUSABLES = (("rn", "m"), ("vv", "w"), ("cl", "d"))


class LinkVerdict(msgspec.Struct, frozen=True):
    verdict: Literal["official", "lookalike", "unknown"]
    matched: str | None
    reasons: list[str]


class OfficialLinks(msgspec.Struct, frozen=True):
    hosts: tuple[str, ...]
    registrable: tuple[str, ...]
    names: tuple[str, ...]  # registrable minus its suffix, e.g. "example" for example.org
    loopback_http: bool = False  # a local demo policy whose links are http://127.0.0.1:...


def normalize_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def registrable(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def name_of(registrable_domain: str) -> str:
    return registrable_domain.split(".", 1)[0]


def skeleton(text: str) -> str:
    """Fold look-alike characters so that visually confusable names compare equal."""
    folded = "".join(CONFUSABLES.get(char, char) for char in text.lower())
    for pair, single in MULTI_CHAR_CONFUSABLES:
        folded = folded.replace(pair, single)
    return folded


def official_links(doc: PolicyDocument) -> OfficialLinks:
    hosts = {normalize_host(urlsplit(link.url).hostname or "") for link in doc.links}
    hosts |= {normalize_host(h) for h in doc.official_hosts}
    hosts.discard("")
    domains = sorted({registrable(h) for h in hosts})
    loopback = any(link.url.startswith("http://") for link in doc.links)
    return OfficialLinks(tuple(sorted(hosts)), tuple(domains), tuple(sorted({name_of(d) for d in domains})), loopback)


def _ip_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    parts = host.split(".")
    return all(re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)", p) for p in parts) and 1 <= len(parts) <= 4


def _verdict(kind: Literal["official", "lookalike", "unknown"], matched: str | None, *reasons: str) -> LinkVerdict:
    return LinkVerdict(kind, matched, list(reasons))


def check_link(url: str, official: OfficialLinks) -> LinkVerdict:
    try:
        return _check(url, official)
    except Exception as exc:
        return _verdict("unknown", None, f"not a URL ({type(exc).__name__})")


def _check(url: str, official: OfficialLinks) -> LinkVerdict:
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return _verdict("unknown", None, "not a web URL")
    host_port = parts.netloc.rsplit("@", 1)[-1]
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        return _verdict("unknown", None, "not a URL: no host")
    host = normalize_host(raw_host)
    if "@" in parts.netloc:
        shown = parts.netloc.split("@", 1)[0]
        return _verdict("lookalike", None, f"userinfo trick: the link shows {shown!r} but goes to {host_port!r}")
    port = parts.port
    if host in official.hosts and official.loopback_http and parts.scheme.lower() == "http":
        return _verdict("official", host, "exact official host (loopback demo)")
    if _ip_host(raw_host) and host not in official.hosts:
        return _verdict("lookalike", None, "raw IP address instead of an official host name")
    if host in official.hosts:
        if parts.scheme.lower() != "https":
            return _verdict("lookalike", host, "not https: official links are https only")
        if port not in (None, 443):
            return _verdict("lookalike", host, f"unusual port {port} on an official host")
        return _verdict("official", host, "exact official host")
    reasons: list[str] = []
    matched: str | None = None
    if host != raw_host.lower() or any(ord(c) > 127 for c in host):
        reasons.append("internationalised (IDN/punycode) host name")
    folded, domain = skeleton(host), registrable(host)
    for official_host in official.hosts:
        if folded == skeleton(official_host) or skeleton(domain) == skeleton(registrable(official_host)):
            if domain not in official.registrable:
                matched = official_host
                reasons.append(f"looks like {official_host} (confusable characters)")
                break
    if matched is None and domain not in official.registrable:
        for official_domain in official.registrable:
            name, official_name = name_of(domain), name_of(official_domain)
            close_domain = Levenshtein.distance(domain, official_domain) <= MAX_EDIT_DISTANCE
            close_name = (len(official_name) >= MIN_NAME_FOR_FUZZY
                          and Levenshtein.distance(name, official_name) <= MAX_EDIT_DISTANCE)
            if close_domain or close_name:
                matched = official_domain
                reasons.append(f"one or two characters away from {official_domain}")
                break
    if matched is None and domain not in official.registrable:
        flat = re.sub(r"[^a-z0-9]", "", skeleton(host))
        for official_host in official.hosts:
            official_domain = registrable(official_host)
            if official_host in host or official_domain in host:
                matched = official_host
                reasons.append(f"official name {official_domain} inside another domain ({domain})")
                break
            name = name_of(official_domain)
            if len(name) >= MIN_NAME_FOR_FUZZY and skeleton(name) in flat:
                matched = official_domain
                reasons.append(f"official name {name!r} inside another domain ({domain})")
                break
    if matched is not None:
        return _verdict("lookalike", matched, *reasons)
    if domain in official.registrable:
        return _verdict("unknown", None, f"a host under {domain} that the policy does not list as official")
    return _verdict("unknown", None, *(reasons or ["not related to any official link"]))


def export_rules(official: OfficialLinks) -> dict:
    """Rules for chat auto-moderation bots.

    Format (version 1): ``official_hosts`` (exact, https only); ``official_domains``; ``watch_names``
    (a host containing one of these, after folding with ``confusables`` and removing non
    alphanumerics, that is not under an official domain is a lookalike); ``max_edit_distance`` on
    registrable names; ``patterns`` (case-insensitive regexes flagging userinfo tricks, raw IPs
    and plain-http official hosts); ``confusables`` (character -> ASCII) and ``multi_char_confusables``.
    """
    escaped = [re.escape(h) for h in official.hosts]
    return {
        "version": 1,
        "official_hosts": list(official.hosts),
        "official_domains": list(official.registrable),
        "https_only": True,
        "watch_names": list(official.names),
        "max_edit_distance": MAX_EDIT_DISTANCE,
        "patterns": [
            r"^[a-z][a-z0-9+.-]*://[^/@\s]+@",
            r"^[a-z][a-z0-9+.-]*://\[?[0-9a-f:.x]+\]?(:\d+)?(/|$)",
            *(rf"^http://{h}(:\d+)?(/|$)" for h in escaped),
        ],
        "confusables": CONFUSABLES,
        "multi_char_confusables": [list(p) for p in MULTI_CHAR_CONFUSABLES],
    }
