"""Trust roots: who may sign policy, and how many of them must.

``root.toml``: ``version``, ``threshold``, ``expires``, ``signers = ["0x…", …]``; signed in
``root.sig.json`` over ``Policy trust root version <n>\\nsha256:<hex>``. Rotation as TUF does it: root
n+1 is valid only when signed by the threshold of root n's signers *and* by its own threshold, so
neither a stolen old key set nor a freshly invented one can move the root alone. A verifier walks
the chain from a root it already trusts; versions must rise by exactly one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Sequence
from typing import Annotated

import msgspec

from policy.document import field_error
from policy.errors import BelowThresholdError, ExpiredError, PolicyError, RootError
from policy.signatures import Signature
from policy.statement import recover_signer


class _RootFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]
    threshold: Annotated[int, msgspec.Meta(ge=1)]
    expires: dt.datetime
    signers: tuple[str, ...]


class TrustRoot(msgspec.Struct, frozen=True):
    version: int
    threshold: int
    expires: dt.datetime
    signers: tuple[str, ...]
    raw: bytes
    sha256: str

    def holds(self, address: str) -> bool:
        return address.lower() in {s.lower() for s in self.signers}


def parse_root(raw: bytes) -> TrustRoot:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        root = msgspec.convert(data, _RootFile)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RootError(f"root: not valid UTF-8 TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise RootError(str(field_error(exc, "root"))) from None
    if root.expires.tzinfo is None:
        raise RootError("root: expires: expected a datetime with a timezone")
    if len({s.lower() for s in root.signers}) != len(root.signers) or not root.signers:
        raise RootError("root: signers: must be a non-empty list of distinct addresses")
    if root.threshold > len(root.signers):
        raise RootError(f"root: threshold: {root.threshold} is more than the {len(root.signers)} signers")
    for signer in root.signers:
        if not (signer.startswith("0x") and len(signer) == 42):
            raise RootError(f"root: signers: {signer!r} is not an EVM address")
    return TrustRoot(root.version, root.threshold, root.expires, root.signers, raw, hashlib.sha256(raw).hexdigest())


def root_toml(*, version: int, threshold: int, expires: str, signers: Sequence[str]) -> str:
    """The text of a ``root.toml``, in the one layout every tool writes; ``expires`` is a TOML datetime
    (``2027-01-01T00:00:00Z``), written bare. Each signer is a TOML basic string (JSON escaping is
    valid TOML), so a hostile signer cannot close the string and add another. The text is not
    checked here: ``parse_root`` it before signing."""
    listed = ", ".join(json.dumps(signer) for signer in signers)
    return f"version = {version}\nthreshold = {threshold}\nexpires = {expires}\nsigners = [{listed}]\n"


def root_statement(root: TrustRoot) -> str:
    return f"Policy trust root version {root.version}\nsha256:{root.sha256}"


def valid_signers(text: str, signatures: list[Signature], root: TrustRoot) -> tuple[list[str], list[tuple[str, str]]]:
    """Distinct root signers whose signatures over ``text`` verify, and ``(code, message)`` problems.

    The same signer twice counts once; a signature that recovers to another address than it claims
    is ``bad_signature``; a valid signer outside the root is ``unknown_signer``.
    """
    found: list[str] = []
    problems: list[tuple[str, str]] = []
    for signature in signatures:
        try:
            signer = recover_signer(text, signature.signature)
        except PolicyError as exc:
            problems.append((exc.code, f"signature of {signature.signer}: {exc}"))
            continue
        if signer.lower() != signature.signer.lower():
            problems.append(("bad_signature", f"signature claimed by {signature.signer} does not verify over this "
                                              f"statement (it recovers to {signer})"))
        elif not root.holds(signer):
            problems.append(("unknown_signer", f"{signer} is not a signer of trust root version {root.version}"))
        elif signer.lower() not in {f.lower() for f in found}:
            found.append(signer)
    return found, problems


def require_threshold(text: str, signatures: list[Signature], root: TrustRoot, what: str) -> list[str]:
    found, problems = valid_signers(text, signatures, root)
    if len(found) < root.threshold:
        detail = f"; {'; '.join(message for _, message in problems)}" if problems else ""
        raise BelowThresholdError(f"{what}: signed by {len(found)} of {root.threshold} required keys of trust root "
                                  f"version {root.version}{detail}")
    return found


def verify_root_chain(trusted: TrustRoot, chain: list[tuple[TrustRoot, list[Signature]]],
                      now: dt.datetime) -> TrustRoot:
    """Walk from ``trusted`` through each (root, signatures) in order; return the newest valid root."""
    current = trusted
    for candidate, signatures in chain:
        if candidate.version != current.version + 1:
            raise RootError(f"root version {candidate.version} does not follow version {current.version}")
        text = root_statement(candidate)
        require_threshold(text, signatures, current, f"root version {candidate.version} (by the old root)")
        require_threshold(text, signatures, candidate, f"root version {candidate.version} (by its own keys)")
        current = candidate
    if now >= current.expires:
        raise ExpiredError(f"trust root version {current.version} expired at {current.expires.isoformat()}")
    return current


