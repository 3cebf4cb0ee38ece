"""Domain errors of the portal, and their one mapping to RFC 9457 problem details.

Every error a holder or a reviewer can cause is a ``PortalError`` subclass carrying an HTTP status,
a stable machine ``code`` and, when one input is to blame, the ``field`` that caused it. The HTTP
edge (``portal.http.problems``) turns them into ``application/problem+json``; nothing below the
HTTP layer knows about HTTP beyond these numbers.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PortalError(Exception):
    """Base of every domain error; ``detail`` is a sentence the caller can act on."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}
        if code is not None:
            self.code = code  # type: ignore[misc]  # instance override of the class default


# -- 400: the input itself is wrong --------------------------------------------------------------
class InvalidInputError(PortalError):
    status, code, title = 400, "invalid_input", "Invalid input"


class InvalidAddressError(InvalidInputError):
    code, title = "invalid_address", "Invalid address"


class UnusableDestinationError(InvalidAddressError):
    """A well-formed destination nobody can use: the zero address, a burn address, a contract of the policy."""

    code, title = "unusable_destination", "Destination nobody can use"


class InvalidChecksumError(InvalidAddressError):
    code, title = "invalid_checksum", "Invalid EIP-55 checksum"


class MalformedSignatureError(InvalidInputError):
    code, title = "malformed_signature", "Malformed signature"


class ControlCharacterError(InvalidInputError):
    """NUL or another control character in a text input (refused at the edge, see ``input_guard``)."""

    code, title = "control_character", "Control character in input"


class TooDeepError(InvalidInputError):
    """A JSON body nested deeper than any documented shape (refused before it is decoded)."""

    code, title = "too_deep", "Input nested too deeply"


class TooManyFieldsError(InvalidInputError):
    """More query or form fields than any route reads."""

    code, title = "too_many_fields", "Too many fields"


class QueryTooLongError(PortalError):
    status, code, title = 414, "query_too_long", "Query string too long"


class HeadersTooLargeError(PortalError):
    status, code, title = 431, "headers_too_large", "Request headers too large"


class UnsupportedMediaTypeError(PortalError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


# -- 401/403: who is asking ----------------------------------------------------------------------
class AuthenticationError(PortalError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class PermissionDeniedError(PortalError):
    status, code, title = 403, "forbidden", "Insufficient role"


class ClaimWindowClosedError(PortalError):
    """The signed policy's claim deadline has passed and it takes no late requests."""

    status, code, title = 403, "claim_window_closed", "Claim window closed"


# -- 404/409/410/422: the request is well-formed but cannot be honoured ---------------------------
class NotFoundError(PortalError):
    status, code, title = 404, "not_found", "Not found"


class ConflictError(PortalError):
    status, code, title = 409, "conflict", "Conflict"


class ChallengeUsedError(ConflictError):
    code, title = "challenge_used", "Challenge already used"


class IllegalTransitionError(ConflictError):
    code, title = "illegal_transition", "Illegal status transition"


class LastAdminError(ConflictError):
    code, title = "last_admin", "The last admin key"


class ChallengeExpiredError(PortalError):
    status, code, title = 410, "challenge_expired", "Challenge expired"


class UnprocessableError(PortalError):
    status, code, title = 422, "unprocessable", "Unprocessable request"


class NotEligibleError(UnprocessableError):
    code, title = "not_eligible", "Address not eligible"


class SignatureMismatchError(UnprocessableError):
    code, title = "signature_mismatch", "Signature does not prove ownership"


class AmountNotReleasableError(UnprocessableError):
    """An approval whose converted amount (or addresses) no release on its chain could hold."""

    code, title = "amount_not_releasable", "Amount cannot be released on its chain"


class PolicyRejectedError(UnprocessableError):
    code, title = "policy_rejected", "Policy refused"


class ReleaseRejectedError(UnprocessableError):
    """A release the server will not publish; ``code`` says why (``below_threshold``, ``wrong_prev``…)."""

    code, title = "release_rejected", "Release refused"


class NothingToReleaseError(UnprocessableError):
    code, title = "nothing_to_release", "Nothing to release"


# -- 503: something outside the process is down ---------------------------------------------------
class UpstreamUnavailableError(PortalError):
    status, code, title = 503, "upstream_unavailable", "Upstream service unavailable"
    retry_after_seconds: ClassVar[int | None] = 2   # sent as Retry-After: outages here last seconds (issue 10)


class RpcUnavailableError(UpstreamUnavailableError):
    code, title = "rpc_unavailable", "RPC unavailable"


class RpcNotConfiguredError(RpcUnavailableError):
    """No node is configured for a method that needs one: a fact of the set-up, so no Retry-After."""

    retry_after_seconds: ClassVar[int | None] = None  # type: ignore[assignment]


class RpcWrongChainError(RpcUnavailableError):
    """The node answers for another chain id than the one proofs are pinned to (``PORTAL_EVM_CHAIN_ID``, or a
    ``safe`` challenge's): a contract wallet on chain A is not the same account on chain B, so nothing is checked
    there. A fact of the set-up, so no Retry-After."""

    code, title = "rpc_wrong_chain", "RPC node on another chain"
    retry_after_seconds: ClassVar[int | None] = None  # type: ignore[assignment]


class SchemaMissingError(UpstreamUnavailableError):
    """The database exists but was never migrated (a CLI tool pointed at it says so in one line)."""

    code, title = "schema_missing", "Database not migrated"


class AuditChainBrokenError(PortalError):
    """The audit chain does not verify; a checkpoint is never signed over it."""

    status, code, title = 500, "audit_chain_broken", "Audit chain broken"


class SettingsError(Exception):
    """A bad environment variable: start-up stops with one line naming it (exit code 2)."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason
