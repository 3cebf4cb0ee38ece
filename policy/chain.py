"""Verifying what a portal serves, from one trust root the verifier already holds.

Input: the trusted root, every served root after it (with the signatures that rotated it in), every
served version of one policy (exact bytes, signatures, the root version it names) and the document
served as "current". Invariants checked, each refused with its own error:
- roots rise by exactly one, each signed by the threshold of the previous root *and* its own
  (a root rotated by the new keys alone is refused); the newest root is not expired;
- versions run 1..n with each ``prev`` the sha256 of the one before; the root versions they name
  never go down and are in the verified chain; the current document is version n itself
  (a server showing an older version as current is a rollback);
- the current version meets the threshold of the root it names and is not expired; older versions
  are checked too whenever their root is one the verifier trusts;
- with a remembered state (what this verifier saw last time), nothing served is older than it.
Pure: no I/O; ``policy.remote`` fetches.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.document import PolicyDocument
from policy.errors import NotNextVersionError, RollbackError, RootError, WrongPrevError
from policy.root import TrustRoot, require_threshold, verify_root_chain
from policy.signatures import Signature
from policy.statement import statement
from policy.verify import verify_policy


class ServedRoot(msgspec.Struct, frozen=True):
    root: TrustRoot
    signatures: list[Signature]


class ServedVersion(msgspec.Struct, frozen=True):
    document: PolicyDocument
    signatures: list[Signature]
    root_version: int


class SeenPolicy(msgspec.Struct, frozen=True):
    version: int
    sha256: str


class SeenState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a verifier remembers between runs (``portal policy verify --state``), as TUF clients do."""

    root_version: int
    root_sha256: str
    policies: dict[str, SeenPolicy] = {}


class ChainResult(msgspec.Struct, frozen=True):
    ok: bool
    slug: str
    version: int
    sha256: str
    statement: str
    signers: list[str]
    threshold: int
    root_version: int
    root_sha256: str
    roots_walked: list[int]
    state: SeenState


def verify_served(trusted: TrustRoot, roots: list[ServedRoot], versions: list[ServedVersion],
                  current: PolicyDocument, *, now: dt.datetime, seen: SeenState | None = None) -> ChainResult:
    """Raise the first violated invariant's ``PolicyError``; return what was verified otherwise."""
    newest = verify_root_chain(trusted, [(r.root, r.signatures) for r in roots], now)
    if seen is not None:
        if newest.version < seen.root_version:
            raise RollbackError(f"trust root rolled back: the newest served is version {newest.version}, "
                                f"version {seen.root_version} was seen before")
        known = {trusted.version: trusted, **{r.root.version: r.root for r in roots}}
        if seen.root_version in known and known[seen.root_version].sha256 != seen.root_sha256:
            raise RootError(f"trust root version {seen.root_version} served now differs from the one seen before")
    trusted_roots = {trusted.version: trusted, **{r.root.version: r.root for r in roots}}
    if not versions:
        raise NotNextVersionError(f"no version of policy {current.slug} is served")
    previous: ServedVersion | None = None
    for index, served in enumerate(versions, start=1):
        doc = served.document
        if doc.version != index:
            raise NotNextVersionError(f"served version list has version {doc.version} where {index} belongs "
                                      "(rollback, fork or gap)")
        if previous is not None:
            if doc.prev != previous.document.sha256:
                raise WrongPrevError(f"version {doc.version}: prev does not match the sha256 of version {index - 1}")
            if served.root_version < previous.root_version:
                raise RollbackError(f"version {doc.version} names trust root version {served.root_version}, older "
                                    f"than version {previous.root_version} named by the version before it")
        if served.root_version > newest.version:
            raise RootError(f"version {doc.version} names trust root version {served.root_version}, "
                            "which is not served")
        previous = served
    last = versions[-1]
    if current.raw != last.document.raw:
        if current.version < last.document.version:
            raise RollbackError(f"the current document is version {current.version}, but version "
                                f"{last.document.version} is published")
        raise RollbackError(f"the current document (version {current.version}, sha256 {current.sha256[:12]}…) is not "
                            f"the newest published version {last.document.version}")
    for served in versions[:-1]:  # older versions may have expired; their signatures must still hold
        if (old_root := trusted_roots.get(served.root_version)) is not None:
            require_threshold(statement(served.document), served.signatures, old_root,
                              f"version {served.document.version}")
    root = trusted_roots.get(last.root_version)
    if root is None:
        raise RootError(f"the current version is signed under trust root version {last.root_version}, older than "
                        f"the trusted root version {trusted.version}; nothing here can vouch for it")
    before = versions[-2].document if len(versions) > 1 else None
    result = verify_policy(last.document, last.signatures, root, previous=before, now=now)
    if seen is not None and (known_policy := seen.policies.get(current.slug)) is not None:
        if current.version < known_policy.version:
            raise RollbackError(f"policy {current.slug} rolled back: version {current.version} is served, version "
                                f"{known_policy.version} was seen before")
        if current.version == known_policy.version and current.sha256 != known_policy.sha256:
            raise RollbackError(f"policy {current.slug} version {current.version} differs from the one seen before "
                                "(fork)")
    policies_seen = dict(seen.policies) if seen else {}
    policies_seen[current.slug] = SeenPolicy(current.version, current.sha256)
    return ChainResult(ok=True, slug=current.slug, version=current.version, sha256=current.sha256,
                       statement=result.statement, signers=result.signers, threshold=root.threshold,
                       root_version=root.version, root_sha256=root.sha256,
                       roots_walked=[trusted.version, *(r.root.version for r in roots)],
                       state=SeenState(newest.version, newest.sha256, policies_seen))
