"""Verify every release a portal serves, from the trust root the verifier holds (``portal release verify``).

Reads only stable file URLs: the roots (``/policy/roots/<k>.toml`` + ``.sig.json``, walked from the
held root as ``policy.remote`` does), then for each chain ``/releases/<chain>/<n>.md``,
``.md.sig.json`` and ``.entries.json`` for n = 1, 2, … until one is missing. Each release must pass
``check_release`` against the root version it names (which must be in the verified chain) and the
release before it, entries and root included.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.errors import PolicyError, RootError
from policy.release import ReleaseDocument, check_release, parse_release
from policy.remote import HEX64, MAX_ROOTS, Fetch, FetchError, _served_root, http_fetch
from policy.root import TrustRoot, verify_root_chain
from policy.signatures import decode_signature_file

CHAINS = ("evm", "solana")
MAX_RELEASES = 100_000


class VerifiedRelease(msgspec.Struct, frozen=True):
    destination_chain: str
    number: int
    sha256: str
    merkle_root: str
    entries: int
    total: str
    distributor: str
    signers: list[str]
    root_version: int


class ReleasesResult(msgspec.Struct, frozen=True):
    ok: bool
    root_version: int
    root_sha256: str
    releases: list[VerifiedRelease]


def _roots(base: str, trusted_sha256: str, fetch: Fetch, now: dt.datetime) -> dict[int, TrustRoot]:
    """Every served root from the one with ``trusted_sha256`` on, each rotation verified."""
    if not HEX64.match(trusted_sha256.lower()):
        raise RootError("give the trusted root's sha256 (64 hex digits)")
    version, trusted = 1, None
    while trusted is None:
        served = _served_root(fetch, base, version)
        if served is None or version > MAX_ROOTS:
            raise RootError(f"no trust root served at {base} has sha256 {trusted_sha256.lower()}")
        if served.root.sha256 == trusted_sha256.lower():
            trusted = served.root
        version += 1
    chain = []
    while (served := _served_root(fetch, base, version)) is not None and len(chain) < MAX_ROOTS:
        chain.append((served.root, served.signatures))
        version += 1
    verify_root_chain(trusted, chain, now)
    return {trusted.version: trusted, **{root.version: root for root, _ in chain}}


def verify_releases(base: str, *, trusted_sha256: str, now: dt.datetime, fetch: Fetch = http_fetch
                    ) -> ReleasesResult:
    """Raise ``PolicyError`` (with its code) for the first release that does not verify."""
    base = base.rstrip("/")
    roots = _roots(base, trusted_sha256, fetch, now)
    verified: list[VerifiedRelease] = []
    for chain in CHAINS:
        previous: ReleaseDocument | None = None
        for number in range(1, MAX_RELEASES + 1):
            raw = fetch(f"{base}/releases/{chain}/{number}.md")
            if raw is None:
                break
            doc = parse_release(raw)
            if (doc.destination_chain, doc.number) != (chain, number):
                raise PolicyError(f"{base}/releases/{chain}/{number}.md holds release {doc.number} of "
                                  f"{doc.destination_chain}")
            bundle_raw = fetch(f"{base}/releases/{chain}/{number}.md.sig.json")
            entries = fetch(f"{base}/releases/{chain}/{number}.entries.json")
            if bundle_raw is None or entries is None:
                raise FetchError(f"release {number} of {chain}: its signatures or entries file is not served")
            bundle = decode_signature_file(bundle_raw)
            root = roots.get(bundle.root_version or 1)
            if root is None:
                raise RootError(f"release {number} of {chain} names trust root version {bundle.root_version}, which "
                                "is not in the chain verified from the root you hold")
            result = check_release(doc, bundle.signatures, root, previous=previous, entries_bytes=entries)
            if not result.ok:
                problem = result.problems[0]
                error = PolicyError(f"release {number} of {chain}: {problem.message}")
                error.code = problem.code
                raise error
            verified.append(VerifiedRelease(chain, number, doc.sha256, doc.merkle_root, doc.entries, str(doc.total),
                                            doc.distributor, result.signers, root.version))
            previous = doc
    newest = roots[max(roots)]
    return ReleasesResult(True, newest.version, newest.sha256, verified)
