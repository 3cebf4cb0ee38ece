"""Staff JWTs from configured identity providers, verified with joserfc against each issuer's JWKS.

Invariants (each one a refusal, answered as 401 ``AuthenticationError``):
- the token's ``iss`` must be a configured issuer (``PORTAL_JWT_ISSUERS``), and its header ``alg``
  one of that issuer's pinned ``algorithms``; ``none`` and HMAC (``HS*``) are refused at start-up,
  so a public key can never be used as an HMAC secret;
- the signature verifies with the JWKS key named by ``kid``; only asymmetric keys (RSA, EC, OKP)
  are taken from a JWKS;
- ``aud`` contains the issuer's audience; ``exp`` is required; ``exp``/``nbf``/``iat`` are checked
  against the injected clock with ``LEEWAY_SECONDS`` of skew; ``sub`` names the person.
- ``exp``/``nbf``/``iat``, when present, are integers in ``[0, 2**53]`` (no floats, no 10^30), ``iat``
  is not in the future, and ``exp`` is at most ``MAX_TOKEN_LIFETIME_SECONDS`` ahead of now: a token
  minted to live for ever is refused even when its issuer signed it.
- ``sub`` is a string of 1 to ``MAX_SUBJECT_CHARS`` characters with no control character (NUL, C0,
  DEL, C1), line or paragraph separator, or bidirectional override: it becomes the actor written to
  leases and the audit log, where NUL breaks the write (a 500) and ESC or C1 would rewrite a
  terminal showing the log; it is refused, never cleaned, since a cleaned name is another person.
- A verified token with no portal role in its roles claim is 403 (who it is is known; what they may
  do is nothing).

JWKS are fetched with a timeout, cached for ``JWKS_TTL_SECONDS``, and fetched again when a token
names an unknown ``kid`` (key rotation) — at most once per ``JWKS_MIN_REFRESH_SECONDS`` per issuer,
so a flood of made-up ``kid``s cannot turn the portal into a load generator against the provider.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal.domain.staff import ROLES, Role, StaffPrincipal
from portal.errors import AuthenticationError, PermissionDeniedError, SettingsError, UpstreamUnavailableError
from portal.settings import JwtIssuer

LEEWAY_SECONDS = 30
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600
MAX_NUMERIC_DATE = 2**53
JWKS_TTL_SECONDS = 3600
JWKS_MIN_REFRESH_SECONDS = 30
JWKS_MAX_BYTES = 256 * 1024
ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                "ES256", "ES384", "ES512", "EdDSA"})
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
ROLE_STRENGTH: tuple[Role, ...] = ("admin", "approver", "publisher", "reviewer")


class JwksFetcher(Protocol):
    """What the outside world provides: the JSON document at a JWKS URL."""

    async def fetch(self, url: str) -> dict[str, Any]: ...


class HttpxJwksFetcher:
    """The real fetcher: one pooled httpx client, a timeout, no redirects, a size cap."""

    def __init__(self, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    async def fetch(self, url: str) -> dict[str, Any]:
        try:
            response = await self._client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UpstreamUnavailableError(f"JWKS at {url} unavailable: {exc}") from exc
        if len(response.content) > JWKS_MAX_BYTES:
            raise UpstreamUnavailableError(f"JWKS at {url} is larger than {JWKS_MAX_BYTES} bytes")
        document = response.json()
        if not isinstance(document, dict):
            raise UpstreamUnavailableError(f"JWKS at {url} is not a JSON object")
        return document

    async def aclose(self) -> None:
        await self._client.aclose()


def check_issuers(issuers: Iterable[JwtIssuer]) -> None:
    """Refuse a configuration that could accept forgeable tokens (``none``, HMAC, unknown algs)."""
    seen: set[str] = set()
    for issuer in issuers:
        if issuer.issuer in seen:
            raise SettingsError("PORTAL_JWT_ISSUERS", f"issuer {issuer.issuer!r} configured twice")
        seen.add(issuer.issuer)
        if not issuer.algorithms:
            raise SettingsError("PORTAL_JWT_ISSUERS", f"issuer {issuer.issuer!r} pins no algorithm")
        for alg in issuer.algorithms:
            if alg not in ALLOWED_ALGORITHMS:
                raise SettingsError("PORTAL_JWT_ISSUERS", f"issuer {issuer.issuer!r}: algorithm {alg!r} refused "
                                    f"(allowed: {', '.join(sorted(ALLOWED_ALGORITHMS))}; never none or HS*)")
        if not issuer.jwks_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise SettingsError("PORTAL_JWT_ISSUERS", f"issuer {issuer.issuer!r}: jwks_url must be https://")


MAX_SUBJECT_CHARS = 255
#: Characters a subject may not hold: C0, DEL and C1 controls, line/paragraph separators, bidi controls.
_FORBIDDEN_IN_SUBJECT = frozenset(
    [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
    + ["\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])


def check_subject(claims: dict[str, Any]) -> str:
    """The ``sub`` claim, when it is text a log can hold; ``AuthenticationError`` naming the fault."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthenticationError("JWT refused: sub must be a non-empty string")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise AuthenticationError(f"JWT refused: sub is longer than {MAX_SUBJECT_CHARS} characters")
    bad = next((char for char in subject if char in _FORBIDDEN_IN_SUBJECT), None)
    if bad is not None:
        raise AuthenticationError(f"JWT refused: sub contains the control character U+{ord(bad):04X} "
                                  "(control, separator or bidi characters are not accepted in a staff name)")
    return subject


def check_time_claims(claims: dict[str, Any], now: int) -> None:
    """Refuse absurd or overflowing ``exp``/``nbf``/``iat`` and a lifetime beyond the bound."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMERIC_DATE:
            raise AuthenticationError(f"JWT refused: {name} must be an integer number of seconds since 1970")
    if claims.get("iat") is not None and claims["iat"] > now + LEEWAY_SECONDS:
        raise AuthenticationError("JWT refused: iat is in the future")
    exp = claims.get("exp")
    if isinstance(exp, int) and exp > now + MAX_TOKEN_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise AuthenticationError(f"JWT refused: exp is more than {MAX_TOKEN_LIFETIME_SECONDS // 3600} hours away "
                                  "(tokens must be short-lived)")


class _CachedKeys:
    def __init__(self) -> None:
        self.keys: KeySet | None = None
        self.fetched_at = float("-inf")
        self.lock = asyncio.Lock()


def _roles_from(claims: dict[str, Any], path: str) -> list[Role]:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    granted = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [role for role in ROLE_STRENGTH if role in granted]


class JwtVerifier:
    """Verifies staff JWTs; one per app (the JWKS caches live here)."""

    def __init__(self, issuers: Iterable[JwtIssuer], fetcher: JwksFetcher, *,
                 now: Callable[[], float], monotonic: Callable[[], float] = time.monotonic) -> None:
        self.issuers = {issuer.issuer: issuer for issuer in issuers}
        check_issuers(self.issuers.values())
        self._fetcher = fetcher
        self._now = now
        self._monotonic = monotonic
        self._cache = {name: _CachedKeys() for name in self.issuers}

    async def _keys(self, issuer: JwtIssuer, *, refresh: bool) -> KeySet:
        cached = self._cache[issuer.issuer]
        async with cached.lock:
            age = self._monotonic() - cached.fetched_at
            stale = cached.keys is None or age >= JWKS_TTL_SECONDS
            if stale or (refresh and age >= JWKS_MIN_REFRESH_SECONDS):
                document = await self._fetcher.fetch(issuer.jwks_url)
                keys = [key for key in document.get("keys", []) if isinstance(key, dict)
                        and key.get("kty") in ASYMMETRIC_KEY_TYPES]
                try:
                    cached.keys = KeySet.import_key_set({"keys": keys})
                except (JoseError, ValueError, TypeError) as exc:
                    raise UpstreamUnavailableError(f"JWKS of {issuer.issuer} is malformed: {exc}") from exc
                cached.fetched_at = self._monotonic()
            assert cached.keys is not None
            return cached.keys

    async def verify(self, token: str) -> StaffPrincipal:
        try:
            compact = jws.extract_compact(token.encode("ascii"))
            header = compact.headers()
            unverified = json.loads(compact.payload)
        except (JoseError, ValueError, UnicodeError) as exc:
            raise AuthenticationError("bearer token is neither a staff key nor a well-formed JWT") from exc
        issuer = self.issuers.get(unverified.get("iss")) if isinstance(unverified, dict) else None
        if issuer is None:
            raise AuthenticationError("JWT issuer is not accepted here")
        alg = header.get("alg")
        if alg not in issuer.algorithms:
            raise AuthenticationError(f"JWT alg {alg!r} is not accepted for this issuer")
        kid = header.get("kid")
        key = None
        for refresh in (False, True):
            try:
                key = (await self._keys(issuer, refresh=refresh)).get_by_kid(kid)
                break
            except (JoseError, ValueError):
                continue
        if key is None:
            raise AuthenticationError("JWT signed by a key the issuer does not publish")
        try:
            verified = jwt.decode(token, key, algorithms=[alg])
            check_time_claims(verified.claims, int(self._now()))
            jwt.JWTClaimsRegistry(
                now=int(self._now()), leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": issuer.issuer},
                aud={"essential": True, "value": issuer.audience},
                exp={"essential": True}, sub={"essential": True},
            ).validate(verified.claims)
        except (JoseError, ValueError) as exc:
            raise AuthenticationError(f"JWT refused: {exc}") from exc
        subject = check_subject(verified.claims)
        roles = _roles_from(verified.claims, issuer.roles_claim)
        if not roles:
            raise PermissionDeniedError(f"JWT carries no portal role in {issuer.roles_claim!r} "
                                        f"(one of {', '.join(ROLES)})")
        return StaffPrincipal(name=subject, role=roles[0], source="jwt", issuer=issuer.issuer,
                              also=tuple(roles[1:]))
