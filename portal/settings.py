"""Settings: one frozen msgspec Struct, read from the environment once and passed in.

Invariant: a ``Settings`` value is always valid. ``from_env`` either returns one or raises
``SettingsError`` naming the first bad variable, which the CLI prints as one line (exit code 2).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from portal.errors import SettingsError

NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
DestinationChain = Literal["evm", "solana"]
# Bounds that keep every challenge text within what wallets take (the one-line Solana challenge must
# fit format 0 of the off-chain message spec: see ``messages.build_solana_one_line``).
MAX_PUBLIC_URL_CHARS = 300
MAX_EVM_CHAIN_ID = 2**53 - 1  # the largest integer a JavaScript wallet handles exactly


class JwtIssuer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An identity provider whose tokens staff may present (see ``PORTAL_JWT_ISSUERS``)."""

    issuer: str
    jwks_url: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    roles_claim: str = "roles"


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything the service reads from its environment; field ``x`` comes from ``ENV[x]`` below."""

    database_url: str | None = None
    app_database_url: str | None = None
    data_dir: str = ".portal"
    snapshots: tuple[str, ...] = ()
    public_url: Annotated[str, msgspec.Meta(max_length=MAX_PUBLIC_URL_CHARS)] = "http://127.0.0.1:8000"
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    challenge_ttl_seconds: Annotated[int, msgspec.Meta(ge=30, le=86_400)] = 900
    multisig_challenge_ttl_hours: Annotated[int, msgspec.Meta(ge=1, le=2160)] = 168  # a Safe's owners sign over days
    rate_limit_per_minute: NonNegativeInt = 30
    destination_chains: Annotated[tuple[DestinationChain, ...], msgspec.Meta(min_length=1)] = ("evm", "solana")
    evm_chain_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_EVM_CHAIN_ID)] = 1
    evm_rpc_url: str | None = None
    solana_rpc_url: str | None = None
    rpc_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=120)] = 5.0
    min_confirmations: NonNegativeInt = 1
    expected_review_hours: NonNegativeInt = 48
    four_eyes_amount: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,78}$")] = str(10**24)
    review_lease_seconds: Annotated[int, msgspec.Meta(ge=10, le=86_400)] = 900
    jwt_issuers: tuple[JwtIssuer, ...] = ()
    policy_root: str | None = None
    security_txt: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    audit_key_file: str | None = None
    audit_checkpoint_file: str | None = None
    audit_checkpoint_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 60
    destinations_file: str | None = None
    eligibility_max_age_seconds: Annotated[int, msgspec.Meta(ge=0, le=31_536_000)] = 3600
    walletconnect_project_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{32}$")] | None = None
    token_decimals: Annotated[int, msgspec.Meta(ge=0, le=36)] | None = None
    page_cache_entries: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 2048
    holder_cache_entries: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 10_000
    banner_ttl_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 5.0
    header_read_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    keep_alive_timeout_seconds: Annotated[int, msgspec.Meta(ge=1, le=300)] = 5
    listen_backlog: Annotated[int, msgspec.Meta(ge=16, le=65_535)] = 2048
    max_header_bytes: Annotated[int, msgspec.Meta(ge=8192, le=1 << 20)] = 32 * 1024
    body_read_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    worker_standby: bool = True
    staff_session_idle_seconds: Annotated[int, msgspec.Meta(ge=60, le=86_400)] = 1800
    staff_session_absolute_seconds: Annotated[int, msgspec.Meta(ge=300, le=7 * 86_400)] = 12 * 3600
    staff_sign_in_per_minute: NonNegativeInt = 10
    csrf_secret: Annotated[str, msgspec.Meta(min_length=32)] | None = None
    trusted_proxies: tuple[str, ...] = ()
    rate_limit_backend: Literal["postgres", "memory"] = "postgres"
    claim_sync_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 60
    claim_sync_from_block: NonNegativeInt = 0

    @property
    def four_eyes_threshold(self) -> int:
        """Amount in base units at or above which an approval needs a second approver."""
        return int(self.four_eyes_amount)

    @property
    def audit_key_path(self) -> str:
        """The audit key file: ``PORTAL_AUDIT_KEY_FILE``, else one generated under the data dir."""
        return self.audit_key_file or os.path.join(self.data_dir, "audit.key")

    @property
    def audit_checkpoint_path(self) -> str:
        """Where checkpoints go: the configured file, else one in the data dir.

        Every deployment gets one (issue 24: without a file nothing anchors the chain, and a cut tail
        goes unseen). The embedded database's is ``audit-checkpoints.jsonl``; a ``DATABASE_URL``'s is
        named after the database's host, port and name, so a data dir shared by several databases
        never mixes their checkpoints. The app warns at start that such a file must be mirrored off
        the host (``portal.http.audit``).
        """
        if self.audit_checkpoint_file:
            return self.audit_checkpoint_file
        if self.database_url is None:
            return os.path.join(self.data_dir, "audit-checkpoints.jsonl")
        parts = urlsplit(self.database_url)
        where = f"{parts.hostname or ''}:{parts.port or ''}/{parts.path.lstrip('/')}?{parts.query}"
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", parts.path.lstrip("/"))[:40] or "db"
        digest = hashlib.sha256(where.encode()).hexdigest()[:10]
        return os.path.join(self.data_dir, f"audit-checkpoints-{name}-{digest}.jsonl")

    @property
    def public_host(self) -> str:
        """The host[:port] of ``public_url``: the EIP-4361 ``domain`` and the policy pages' origin."""
        return self.public_url.split("://", 1)[1].split("/", 1)[0]


ENV: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "app_database_url": "PORTAL_APP_DATABASE_URL",
    "data_dir": "PORTAL_DATA_DIR",
    "snapshots": "PORTAL_SNAPSHOTS",
    "public_url": "PORTAL_PUBLIC_URL",
    "db_pool_size": "PORTAL_DB_POOL_SIZE",
    "challenge_ttl_seconds": "PORTAL_CHALLENGE_TTL_SECONDS",
    "multisig_challenge_ttl_hours": "PORTAL_MULTISIG_CHALLENGE_TTL_HOURS",
    "rate_limit_per_minute": "PORTAL_RATE_LIMIT_PER_MINUTE",
    "destination_chains": "PORTAL_DESTINATION_CHAINS",
    "evm_chain_id": "PORTAL_EVM_CHAIN_ID",
    "evm_rpc_url": "PORTAL_EVM_RPC_URL",
    "solana_rpc_url": "PORTAL_SOLANA_RPC_URL",
    "rpc_timeout_seconds": "PORTAL_RPC_TIMEOUT_SECONDS",
    "min_confirmations": "PORTAL_MIN_CONFIRMATIONS",
    "expected_review_hours": "PORTAL_EXPECTED_REVIEW_HOURS",
    "four_eyes_amount": "PORTAL_FOUR_EYES_AMOUNT",
    "review_lease_seconds": "PORTAL_REVIEW_LEASE_SECONDS",
    "jwt_issuers": "PORTAL_JWT_ISSUERS",
    "policy_root": "PORTAL_POLICY_ROOT",
    "security_txt": "PORTAL_SECURITY_TXT",
    "log_level": "PORTAL_LOG_LEVEL",
    "audit_key_file": "PORTAL_AUDIT_KEY_FILE",
    "audit_checkpoint_file": "PORTAL_AUDIT_CHECKPOINT_FILE",
    "audit_checkpoint_seconds": "PORTAL_AUDIT_CHECKPOINT_SECONDS",
    "destinations_file": "PORTAL_DESTINATIONS_FILE",
    "eligibility_max_age_seconds": "PORTAL_ELIGIBILITY_MAX_AGE_SECONDS",
    "walletconnect_project_id": "PORTAL_WALLETCONNECT_PROJECT_ID",
    "token_decimals": "PORTAL_TOKEN_DECIMALS",
    "page_cache_entries": "PORTAL_PAGE_CACHE_ENTRIES",
    "holder_cache_entries": "PORTAL_HOLDER_CACHE_ENTRIES",
    "banner_ttl_seconds": "PORTAL_BANNER_TTL_SECONDS",
    "header_read_timeout_seconds": "PORTAL_HEADER_READ_TIMEOUT_SECONDS",
    "keep_alive_timeout_seconds": "PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS",
    "listen_backlog": "PORTAL_LISTEN_BACKLOG",
    "max_header_bytes": "PORTAL_MAX_HEADER_BYTES",
    "body_read_timeout_seconds": "PORTAL_BODY_READ_TIMEOUT_SECONDS",
    "worker_standby": "PORTAL_WORKER_STANDBY",
    "staff_session_idle_seconds": "PORTAL_STAFF_SESSION_IDLE_SECONDS",
    "staff_session_absolute_seconds": "PORTAL_STAFF_SESSION_ABSOLUTE_SECONDS",
    "staff_sign_in_per_minute": "PORTAL_STAFF_SIGN_IN_PER_MINUTE",
    "csrf_secret": "PORTAL_CSRF_SECRET",
    "trusted_proxies": "PORTAL_TRUSTED_PROXIES",
    "rate_limit_backend": "PORTAL_RATE_LIMIT_BACKEND",
    "claim_sync_seconds": "PORTAL_CLAIM_SYNC_SECONDS",
    "claim_sync_from_block": "PORTAL_CLAIM_SYNC_FROM_BLOCK",
}


def _raw_value(field: str, text: str) -> object:
    """Turn one variable's text into what ``msgspec.convert`` expects for its field."""
    if field == "snapshots":
        return [part for part in text.replace(os.pathsep, ",").split(",") if part.strip()]
    if field == "trusted_proxies":
        return [part.strip() for part in text.split(",") if part.strip()]
    if field == "destination_chains":
        return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if field == "jwt_issuers":
        try:
            return msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            raise SettingsError(ENV[field], f"not valid JSON ({exc})") from None
    return text.strip()


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``Settings`` from ``environ`` (default ``os.environ``); empty variables count as unset."""
    environ = os.environ if environ is None else environ
    raw = {field: _raw_value(field, environ[var]) for field, var in ENV.items() if environ.get(var, "").strip()}
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = message.rsplit("$.", 1)[-1].split("[", 1)[0].split(".", 1)[0].rstrip("`")
        reason = message.split(" - at ", 1)[0]
        raise SettingsError(ENV.get(field, "environment"), reason) from None
    if not settings.public_url.startswith(("http://", "https://")):
        raise SettingsError(ENV["public_url"], "must start with http:// or https://")
    if not (settings.public_url.isascii() and settings.public_url.isprintable()) or " " in settings.public_url:
        raise SettingsError(ENV["public_url"], "must be printable ASCII (write an IDN host in punycode, xn--...)")
    if settings.solana_rpc_url is not None and not settings.solana_rpc_url.startswith(("http://", "https://")):
        raise SettingsError(ENV["solana_rpc_url"], "must start with http:// or https://")
    for cidr in settings.trusted_proxies:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise SettingsError(ENV["trusted_proxies"], f"{cidr!r} is not an IP address or CIDR") from None
    for field in ("database_url", "app_database_url"):
        url = getattr(settings, field)
        if url is not None and not url.startswith(("postgresql://", "postgres://")):
            raise SettingsError(ENV[field], "must be a postgresql:// URL")
    return settings
