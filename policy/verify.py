"""Policy verification: exact bytes -> sha256 -> statement -> recovered signers vs the trust root.

Two entry points over one check: ``check_policy`` returns a result listing every problem (for API
responses and ``portal policy verify``), ``verify_policy`` raises the first problem's error (for
strict paths). Rules: signers distinct and in the root, count >= threshold; with a previous
version, version = previous + 1 and prev = sha256(previous bytes) (no rollback, fork or gap);
without one, version 1; not expired at ``now``.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.document import PolicyDocument
from policy.errors import BY_CODE, PolicyError
from policy.root import TrustRoot, valid_signers
from policy.signatures import Signature
from policy.statement import statement


class Problem(msgspec.Struct, frozen=True):
    code: str
    message: str


class VerificationResult(msgspec.Struct, frozen=True):
    ok: bool
    slug: str
    version: int
    sha256: str
    statement: str
    signers: list[str]
    threshold: int
    missing: int
    problems: list[Problem]


def check_policy(doc: PolicyDocument, signatures: list[Signature], root: TrustRoot, *,
                 previous: PolicyDocument | None, now: dt.datetime) -> VerificationResult:
    text = statement(doc)
    signers, found_problems = valid_signers(text, signatures, root)
    problems = [Problem(code, message) for code, message in found_problems]
    missing = max(0, root.threshold - len(signers))
    if missing:
        problems.insert(0, Problem("below_threshold", f"signed by {len(signers)} of {root.threshold} required root "
                                                      f"keys" + (f": {', '.join(signers)}" if signers else "")))
    if previous is None:
        if doc.version != 1:
            problems.append(Problem("not_next_version", f"version {doc.version} has no published version "
                                                        f"{doc.version - 1} before it"))
    else:
        if doc.version != previous.version + 1:
            problems.append(Problem("not_next_version", f"version {doc.version} is not the next after published "
                                                        f"version {previous.version} (rollback, fork or gap)"))
        elif doc.prev != previous.sha256:
            problems.append(Problem("wrong_prev", f"prev {doc.prev[:12]}… does not match the sha256 of version "
                                                  f"{previous.version} ({previous.sha256[:12]}…)"))
    if now >= doc.expires:
        problems.append(Problem("expired", f"expired at {doc.expires.isoformat()}"))
    return VerificationResult(ok=not problems, slug=doc.slug, version=doc.version, sha256=doc.sha256, statement=text,
                              signers=signers, threshold=root.threshold, missing=missing, problems=problems)


def verify_policy(doc: PolicyDocument, signatures: list[Signature], root: TrustRoot, *,
                  previous: PolicyDocument | None, now: dt.datetime) -> VerificationResult:
    result = check_policy(doc, signatures, root, previous=previous, now=now)
    if result.problems:
        first = result.problems[0]
        raise BY_CODE.get(first.code, PolicyError)(first.message)
    return result
