"""The lookalike-link checker: is a URL one of the signed policy's official links, a lookalike, or unknown?

Rules, in order (each verdict carries its reasons):
- not parseable as a web URL -> unknown;
- userinfo before the host (``https://portal.example.org@evil.io``) -> lookalike: the real host is after '@';
- a raw IP host (dotted, integer, hex or octal forms, IPv6) that the policy does not list -> lookalike;
- an official host (case, trailing dot, port 443 and path do not matter) over https -> official;
  over plain http -> lookalike ("not https"), except the exact ``http://host:port`` of a loopback
  link the policy itself lists (a local demo), which is official for that host and port only;
- a host whose confusable skeleton equals an official one -> lookalike;
- a registrable name within edit distance 2 of an official one -> lookalike;
- the official name inside another registrable domain (``portal.example.org.evil.io``,
  ``example-org-migration.com``, ``exampleorg.com``) -> lookalike;
- anything else -> unknown.
Maintained data, not hand-written tables: registrable domains come from the Public Suffix List
(``publicsuffixlist``, which bundles it; ``github.io`` and ``co.uk`` are suffixes there), confusable
characters from Unicode's confusables.txt (``confusable_homoglyphs`` bundles it; skeletons as in
UTS #39, plus NFD with combining marks dropped so accented letters fold too). IP and single-label
hosts never produce domain or name rules. ``check_link`` never raises.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import unicodedata
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

import idna
import msgspec
from publicsuffixlist import PublicSuffixList
from rapidfuzz.distance import Levenshtein

from policy.document import LOOPBACK_HTTP, PolicyDocument

MAX_EDIT_DISTANCE = 2
MIN_NAME_FOR_FUZZY = 4
_HOST_LABEL = re.compile(r"[a-z0-9-]+")


class LinkVerdict(msgspec.Struct, frozen=True):
    verdict: Literal["official", "lookalike", "unknown"]
    matched: str | None
    reasons: list[str]


class OfficialLinks(msgspec.Struct, frozen=True):
    hosts: tuple[str, ...]
    registrable: tuple[str, ...]
    names: tuple[str, ...]  # registrable minus its public suffix, e.g. "example" for example.org
    http_origins: tuple[str, ...] = ()  # "host:port" of loopback http links the policy lists (a local demo)


_PSL = PublicSuffixList()  # loaded once at import (~0.1 s): the bundled list, no network


def _psl() -> PublicSuffixList:
    return _PSL


def _load_confusables() -> dict[str, str]:
    """Character -> its UTS #39 prototype, lowercased, for every prototype made of host letters/digits.

    Built from Unicode's confusables.txt as ``confusable_homoglyphs`` ships it (a symmetric table:
    a character with exactly one entry maps to that entry, its prototype). Only characters a host
    name can hold (IDNA-valid, or ASCII) are kept, since nothing else reaches a hostname.
    """
    table = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    mapping: dict[str, str] = {}
    for char, entries in table.items():
        if len(char) != 1 or len(entries) != 1:
            continue
        prototype = entries[0]["c"].replace("\u200e", "").lower()
        if not _HOST_LABEL.fullmatch(prototype) or prototype == char:
            continue
        if not char.isascii():
            try:
                idna.encode(char)
            except idna.IDNAError:
                continue
        mapping[char] = prototype
    return mapping


CONFUSABLES = _load_confusables()


def normalize_host(host: str) -> str:
    """Lowercase, no trailing dot, punycode labels decoded, compatibility forms mapped (UTS #46)."""
    host = host.strip().lower().rstrip(".")
    if host.isascii() and "xn--" not in host:
        return host  # the common case, without the IDNA round trip
    try:
        return idna.decode(idna.encode(host, uts46=True))
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def is_ip_host(host: str) -> bool:
    """Dotted, integer, hex or octal IPv4 forms and IPv6 (browsers resolve all of them)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    parts = host.split(".")
    return 1 <= len(parts) <= 4 and all(re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)", p) for p in parts)


@functools.lru_cache(maxsize=4096)
def registrable(host: str) -> str:
    """The registrable domain by the Public Suffix List (``a.b.example.co.uk`` -> ``example.co.uk``)."""
    return _psl().privatesuffix(host) or host


def name_of(registrable_domain: str) -> str:
    suffix = _psl().publicsuffix(registrable_domain)
    if suffix and registrable_domain.endswith("." + suffix):
        return registrable_domain[: -len(suffix) - 1]
    return registrable_domain.split(".", 1)[0]


@functools.lru_cache(maxsize=4096)
def skeleton(text: str) -> str:
    """Fold look-alike characters so that visually confusable names compare equal."""
    table = CONFUSABLES
    decomposed = unicodedata.normalize("NFD", text.lower())
    folded = "".join(table.get(char, char) for char in decomposed if not unicodedata.combining(char))
    return "".join(table.get(char, char) for char in folded)


@functools.lru_cache(maxsize=1024)
def _rule_host(host: str) -> bool:
    """Hosts that can yield domain and name rules: not an IP, not a single label like ``localhost``."""
    return not is_ip_host(host) and "." in host and _psl().privatesuffix(host) is not None


def official_links(doc: PolicyDocument) -> OfficialLinks:
    hosts = {normalize_host(urlsplit(link.url).hostname or "") for link in doc.links}
    hosts |= {normalize_host(h) for h in doc.official_hosts}
    hosts.discard("")
    domains = sorted({registrable(h) for h in hosts if _rule_host(h)})
    http_origins = set()
    for link in doc.links:
        if LOOPBACK_HTTP.match(link.url):
            parts = urlsplit(link.url)
            http_origins.add(f"{normalize_host(parts.hostname or '')}:{parts.port or 80}")
    return OfficialLinks(tuple(sorted(hosts)), tuple(domains), tuple(sorted({name_of(d) for d in domains})),
                         tuple(sorted(http_origins)))


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
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
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
    if scheme == "http" and f"{host}:{port or 80}" in official.http_origins:
        return _verdict("official", host, f"the exact loopback demo origin http://{host}:{port or 80}")
    if is_ip_host(raw_host) and host not in official.hosts:
        return _verdict("lookalike", None, "raw IP address instead of an official host name")
    if host in official.hosts:
        if scheme != "https":
            return _verdict("lookalike", host, "not https: official links are https only")
        if port not in (None, 443):
            return _verdict("lookalike", host, f"unusual port {port} on an official host")
        return _verdict("official", host, "exact official host")
    if is_ip_host(raw_host):
        return _verdict("lookalike", host, "an official IP host on another scheme or port")
    return _related(host, raw_host, official)


def _related(host: str, raw_host: str, official: OfficialLinks) -> LinkVerdict:
    reasons: list[str] = []
    matched: str | None = None
    if host != raw_host.lower() or not host.isascii():
        reasons.append("internationalised (IDN/punycode) host name")
    folded, domain = skeleton(host), registrable(host)
    rule_hosts = [h for h in official.hosts if _rule_host(h)]
    if domain not in official.registrable:
        for official_host in rule_hosts:
            if folded == skeleton(official_host) or skeleton(domain) == skeleton(registrable(official_host)):
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
        flat = re.sub(r"[^a-z0-9]", "", folded)
        for official_host in rule_hosts:
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

    Format (version 2): ``official_hosts`` (exact, https only); ``http_origins`` (the loopback
    ``host:port`` a local demo serves over http, official over http for that origin only);
    ``official_domains`` (registrable, by the Public Suffix List; never from an IP host);
    ``watch_names`` (a host containing one of these, after folding with ``confusables`` and
    removing non alphanumerics, that is not under an official domain is a lookalike);
    ``max_edit_distance`` on registrable names; ``patterns`` (case-insensitive regexes flagging
    userinfo tricks, raw IPs and plain-http official hosts); ``confusables`` (character -> prototype,
    from Unicode's confusables.txt, for characters a host name can hold).
    """
    escaped = [re.escape(h) for h in official.hosts]
    return {
        "version": 2,
        "official_hosts": list(official.hosts),
        "http_origins": list(official.http_origins),
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
    }
