"""Fetch everything a verifier needs from a portal's stable URLs (the I/O half of ``policy.chain``).

Given ``https://host/policy/<slug>`` it reads, and nothing else:
``/policy/roots/<k>.toml`` + ``/policy/roots/<k>.sig.json`` for every root version,
``/policy/<slug>.md`` (the current exact bytes), and ``/policy/<slug>/versions/<k>.md`` +
``.md.sig.json`` for k = 1..n, plus a probe of version n+1 (a server hiding its newest version
behind an older "current" is a rollback). The trust anchor is a root file the user holds or the
sha256 of one: the served root with that hash is taken, never "whatever the server says is root 1".
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable

import msgspec

from policy.chain import ServedRoot, ServedVersion
from policy.document import parse_document
from policy.errors import RootError
from policy.root import TrustRoot, parse_root
from policy.signatures import decode_signature_file

FETCH_TIMEOUT_SECONDS = 20
MAX_ROOTS = 1000
MAX_BYTES = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")
Fetch = Callable[[str], bytes | None]


class FetchError(Exception):
    """The portal could not be read (network, HTTP status other than 200/404, oversized answer)."""


class Served(msgspec.Struct, frozen=True):
    trusted: TrustRoot
    roots: list[ServedRoot]
    versions: list[ServedVersion]
    current_raw: bytes


def http_fetch(url: str) -> bytes | None:
    """GET ``url``; ``None`` for 404; ``FetchError`` for anything else that is not 200."""
    if not url.startswith(("https://", "http://")):
        raise FetchError(f"{url}: only http(s) URLs")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise FetchError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_BYTES:
        raise FetchError(f"{url}: more than {MAX_BYTES} bytes")
    return body


def split_policy_url(url: str, slug: str = "official") -> tuple[str, str]:
    """The one URL form ``verify`` and ``publish`` both take: a policy page
    ``https://host[/prefix]/policy/<slug>`` -> (``https://host[/prefix]``, slug), or the portal's base
    URL ``https://host[/prefix]`` -> (it, ``slug``)."""
    text = url.strip().rstrip("/").removesuffix(".md")
    if not text.startswith(("https://", "http://")) or "?" in text or "#" in text:
        raise FetchError(f"{url}: expected the portal's URL, like https://host or https://host/policy/official")
    base, sep, named = text.rpartition("/policy/")
    if not sep:
        return text.removesuffix("/policy"), slug
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", named):
        raise FetchError(f"{url}: expected a policy page URL like https://host/policy/official")
    return base, named


def _required(fetch: Fetch, url: str) -> bytes:
    body = fetch(url)
    if body is None:
        raise FetchError(f"{url}: not found")
    return body


def _served_root(fetch: Fetch, base: str, version: int) -> ServedRoot | None:
    raw = fetch(f"{base}/policy/roots/{version}.toml")
    if raw is None:
        return None
    root = parse_root(raw)
    if root.version != version:
        raise RootError(f"{base}/policy/roots/{version}.toml holds root version {root.version}")
    signatures = fetch(f"{base}/policy/roots/{version}.sig.json")
    return ServedRoot(root, decode_signature_file(signatures).signatures if signatures else [])


def fetch_served(url: str, *, trusted_root: TrustRoot | None = None, trusted_sha256: str | None = None,
                 fetch: Fetch = http_fetch) -> Served:
    base, slug = split_policy_url(url)
    if trusted_root is None:
        if trusted_sha256 is None or not HEX64.match(trusted_sha256.lower()):
            raise RootError("give the trusted root as a file or as its sha256 (64 hex digits)")
        version = 1
        while True:
            served = _served_root(fetch, base, version)
            if served is None or version > MAX_ROOTS:
                raise RootError(f"no trust root served at {base} has sha256 {trusted_sha256.lower()}")
            if served.root.sha256 == trusted_sha256.lower():
                trusted_root = served.root
                break
            version += 1
    roots = []
    version = trusted_root.version + 1
    while (served := _served_root(fetch, base, version)) is not None and version <= trusted_root.version + MAX_ROOTS:
        roots.append(served)
        version += 1
    current_raw = _required(fetch, f"{base}/policy/{slug}.md")
    current = parse_document(current_raw)
    versions = []
    for number in range(1, current.version + 2):
        raw = fetch(f"{base}/policy/{slug}/versions/{number}.md")
        if raw is None:
            if number <= current.version:
                raise FetchError(f"{base}/policy/{slug}/versions/{number}.md: not found")
            break
        bundle = decode_signature_file(_required(fetch, f"{base}/policy/{slug}/versions/{number}.md.sig.json"))
        versions.append(ServedVersion(parse_document(raw), bundle.signatures,
                                      bundle.root_version if bundle.root_version is not None else 1))
    return Served(trusted_root, roots, versions, current_raw)
