"""Policy errors: one base, one subclass per way a policy can fail; each has a stable ``code``."""

from __future__ import annotations


class PolicyError(Exception):
    code = "policy_error"


class PolicyDocumentError(PolicyError):
    """The document (or root file) cannot be parsed; the message names the field."""

    code = "invalid_document"


class MalformedSignatureError(PolicyError):
    code = "malformed_signature"


class BadSignatureError(PolicyError):
    """A well-formed signature that does not recover to the signer it claims."""

    code = "bad_signature"


class UnknownSignerError(PolicyError):
    code = "unknown_signer"


class BelowThresholdError(PolicyError):
    code = "below_threshold"


class WrongPrevError(PolicyError):
    code = "wrong_prev"


class NotNextVersionError(PolicyError):
    """Rollback, fork or gap: the version is not exactly one more than the previous one."""

    code = "not_next_version"


class RollbackError(PolicyError):
    """What is served is older than what this verifier already saw (or the server hides its newest version)."""

    code = "rollback"


class ExpiredError(PolicyError):
    code = "expired"


class RootError(PolicyError):
    code = "invalid_root"


BY_CODE: dict[str, type[PolicyError]] = {
    cls.code: cls for cls in (PolicyDocumentError, MalformedSignatureError, BadSignatureError, UnknownSignerError,
                              BelowThresholdError, WrongPrevError, NotNextVersionError, RollbackError, ExpiredError,
                              RootError)
}
