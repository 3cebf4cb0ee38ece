"""Staff authentication: the permission matrix over every staff route, and JWT verification details.

The matrix is generated from the app's route table: every route under /v1/review, /v1/audit,
/v1/allowlist, and POST /v1/policies, so a new staff route cannot be forgotten. JWTs are signed by
RSA/EC keys made here and served from a real JWKS endpoint on loopback.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.staff import ROLE_IMPLIES, ROLES
from portal.settings import JwtIssuer, Settings
from tests.integration.staff_helpers import (
    Issuer,
    JwksServer,
    create_key,
    make_issuer,
    revoke_key,
    seed_requests,
    serve_jwks,
)

STAFF_PREFIXES = ("/v1/review", "/v1/admin", "/v1/audit", "/v1/allowlist", "/v1/links/lookalikes")
# Public on purpose under a staff prefix: signed checkpoints are for mirrors (see portal/http/audit.py).
PUBLIC_UNDER_STAFF_PREFIXES = frozenset({"/v1/audit/checkpoints"})
def _now() -> dt.datetime:
    """The time a token is made: read when it is made, since a long suite outlives a 5-minute token."""
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    yield from serve_jwks()


@pytest.fixture
def issuer(jwks: JwksServer) -> Issuer:
    return make_issuer(jwks)


@pytest.fixture
def staff_settings(settings: Settings, issuer: Issuer) -> Settings:
    return msgspec.structs.replace(settings, jwt_issuers=(
        JwtIssuer(issuer=issuer.name, jwks_url=issuer.jwks.url, audience=issuer.audience,
                  algorithms=("RS256", "ES256")),))


@pytest.fixture
def app(staff_settings: Settings) -> Litestar:
    return create_app(staff_settings)


@pytest.fixture
def staff_client(app: Litestar) -> Iterator[TestClient]:
    with TestClient(app=app) as client:
        yield client


def staff_operations(app: Litestar) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path template, roles its guard admits) of every staff operation in the route table."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                staff = (route.path.startswith(STAFF_PREFIXES) and route.path not in PUBLIC_UNDER_STAFF_PREFIXES) or (
                    route.path == "/v1/policies" and method == "POST")
                if not staff:
                    continue
                roles = [getattr(guard, "staff_roles", None) for guard in handler.guards or []]
                roles = [r for r in roles if r]
                assert roles, f"{method} {route.path} is a staff route without require_role(...)"
                found.append((method, route.path, roles[0]))
    return found


def concrete(path: str) -> str:
    out = []
    for part in path.split("/"):
        if part.startswith("{"):
            out.append(str(uuid.uuid4()) if ":uuid" in part else "x")
        else:
            out.append(part)
    return "/".join(out)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(issuer: Issuer, alg: str) -> str:
    header = b64(json.dumps({"alg": alg, "kid": "rsa-1"}).encode())
    payload = b64(json.dumps({"iss": issuer.name, "aud": issuer.audience, "sub": "mallory", "roles": ["admin"],
                              "exp": int(_now().timestamp()) + 300}).encode())
    return f"{header}.{payload}."


def hs256_with_public_key(issuer: Issuer) -> str:
    """The classic key-confusion forgery: HMAC keyed with the issuer's public key bytes."""
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps({"iss": issuer.name, "aud": issuer.audience, "sub": "mallory", "roles": ["admin"],
                              "exp": int(_now().timestamp()) + 300}).encode())
    secret = issuer.rsa.as_pem(private=False)
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def weaker_role(admitted: tuple[str, ...]) -> str:
    return next(role for role in ROLES if not any(need in ROLE_IMPLIES[role] for need in admitted))


def assert_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] and body["detail"]


def test_permission_matrix(app: Litestar, staff_client: TestClient, database_url: str, issuer: Issuer) -> None:
    operations = staff_operations(app)
    assert {path for _, path, _ in operations} >= {"/v1/review/requests", "/v1/review/claim", "/v1/audit",
                                                    "/v1/allowlist"}
    keys = {role: create_key(database_url, f"matrix-{role}", role) for role in ROLES}
    revoked = create_key(database_url, "matrix-revoked", "admin")
    assert staff_client.get("/v1/audit", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
    revoke_key(database_url, "matrix-revoked")
    status_token = seed_requests(database_url, 1)[0].status_token

    credentials: dict[str, tuple[dict[str, str], int]] = {
        "no token": ({}, 401),
        "malformed header": ({"Authorization": "Token abc"}, 401),
        "bearer with spaces": ({"Authorization": "Bearer a b c"}, 401),
        "unknown key": ({"Authorization": "Bearer " + "A" * 43}, 401),
        "revoked key": ({"Authorization": f"Bearer {revoked}"}, 401),
        "holder status token": ({"Authorization": f"Bearer {status_token}"}, 401),
        "expired JWT": ({"Authorization": "Bearer " + issuer.token(now=_now() - dt.timedelta(hours=2),
                                                                    roles=["admin"])}, 401),
        "wrong issuer": ({"Authorization": "Bearer " + issuer.token(now=_now(), roles=["admin"],
                                                                     iss="https://evil.test")}, 401),
        "wrong audience": ({"Authorization": "Bearer " + issuer.token(now=_now(), roles=["admin"],
                                                                       aud="another-service")}, 401),
        "alg none": ({"Authorization": "Bearer " + unsigned_token(issuer, "none")}, 401),
        "HS256 with the public key": ({"Authorization": "Bearer " + hs256_with_public_key(issuer)}, 401),
        "unknown kid": ({"Authorization": "Bearer " + issuer.token(now=_now(), roles=["admin"], kid="nope")}, 401),
        "JWT without a portal role": ({"Authorization": "Bearer " + issuer.token(now=_now(), roles=["viewer"])}, 403),
    }
    checked = 0
    for method, path, admitted in operations:
        url = concrete(path)
        cases = dict(credentials)
        cases["insufficient role (key)"] = ({"Authorization": f"Bearer {keys[weaker_role(admitted)]}"}, 403)
        cases["insufficient role (JWT)"] = (
            {"Authorization": "Bearer " + issuer.token(now=_now(), roles=[weaker_role(admitted)])}, 403)
        for case, (headers, status) in cases.items():
            response = staff_client.request(method, url, headers=headers, json={} if method == "POST" else None)
            assert response.status_code == status, f"{method} {path} with {case}: {response.text}"
            assert_problem(response, status)
            checked += 1
    assert checked >= len(operations) * 15


def test_holder_view_is_not_unlocked_by_staff_tokens(staff_client: TestClient, database_url: str) -> None:
    """A staff key is not a status token: the holder view answers it with the very 404 of an unknown id
    (portal.domain.filing.check_token), so staff credentials neither open it nor reveal the id exists."""
    seeded = seed_requests(database_url, 1)[0]
    admin = create_key(database_url, "admin-1", "admin")
    response = staff_client.get(f"/v1/requests/{seeded.request_id}", headers={"Authorization": f"Bearer {admin}"})
    assert_problem(response, 404)
    unknown = staff_client.get(f"/v1/requests/{uuid.uuid4()}", headers={"Authorization": f"Bearer {admin}"})
    assert_problem(unknown, 404)
    assert response.json()["code"] == unknown.json()["code"] == "not_found"
    assert response.json()["detail"] == unknown.json()["detail"]
    own = staff_client.get(f"/v1/requests/{seeded.request_id}",
                           headers={"Authorization": f"Bearer {seeded.status_token}"})
    assert own.status_code == 200, own.text


def test_valid_credentials_pass(staff_client: TestClient, database_url: str, issuer: Issuer) -> None:
    key = create_key(database_url, "rita", "reviewer")
    assert staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    for alg in ("RS256", "ES256"):
        token = issuer.token(now=_now(), roles=["reviewer"], alg=alg)
        response = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (alg, response.text)
    admin_jwt = issuer.token(now=_now(), roles=["admin"], sub="ada")
    events = staff_client.get("/v1/audit", headers={"Authorization": f"Bearer {admin_jwt}"}).json()["events"]
    assert [e["action"] for e in events] == ["staff:key:created"]


def test_leeway_accepts_small_clock_skew_only(staff_client: TestClient, issuer: Issuer) -> None:
    slightly_future = issuer.token(now=_now() + dt.timedelta(seconds=10), roles=["reviewer"])
    far_future = issuer.token(now=_now() + dt.timedelta(minutes=10), roles=["reviewer"])
    ok = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {slightly_future}"})
    assert ok.status_code == 200, ok.text
    refused = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {far_future}"})
    assert_problem(refused, 401)


def test_jwks_is_cached_and_refetched_on_key_rotation(staff_client: TestClient, issuer: Issuer) -> None:
    from joserfc.jwk import RSAKey

    headers = {"Authorization": "Bearer " + issuer.token(now=_now(), roles=["reviewer"])}
    for _ in range(3):
        assert staff_client.get("/v1/review/requests", headers=headers).status_code == 200
    assert issuer.jwks.hits == 1
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})
    issuer.jwks.keys = [*issuer.jwks.keys, rotated.as_dict(private=False)]
    issuer.rsa = rotated
    token = issuer.token(now=_now(), roles=["reviewer"], kid="rsa-2")
    # The first fetch was moments ago: a refresh on unknown kid is rate-limited ...
    refused = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert issuer.jwks.hits == 1
    # ... and allowed once the minimum interval has passed.
    verifier = staff_client.app.state.runtime.jwt_verifier
    verifier._cache[issuer.name].fetched_at -= 3600 - 1  # as if fetched just under an hour ago
    accepted = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {token}"})
    assert accepted.status_code == 200, accepted.text
    assert issuer.jwks.hits == 2


@pytest.mark.parametrize("algorithms", [("HS256",), ("none",), ("RS256", "HS512"), ()])
def test_hmac_and_none_are_refused_in_configuration(algorithms: tuple[str, ...]) -> None:
    from portal.domain.jwt_auth import check_issuers
    from portal.errors import SettingsError

    with pytest.raises(SettingsError, match="PORTAL_JWT_ISSUERS"):
        check_issuers([JwtIssuer(issuer="https://idp.test", jwks_url="https://idp.test/jwks", audience="a",
                                 algorithms=algorithms)])


ABSURD_TIME_CLAIMS = {
    "exp-1e30": {"exp": 10**30},                                      # the case: accepted before
    "exp-two-days": {"exp": int(_now().timestamp()) + 2 * 24 * 3600},   # signed, well-formed, but lives two days
    "exp-float": {"exp": float(int(_now().timestamp()) + 300)},         # NumericDate as a float
    "iat-1e30": {"iat": 10**30},
    "nbf-negative": {"nbf": -(10**30)},
    "iat-future": {"iat": int(_now().timestamp()) + 3600},              # minted in the future
}


def test_absurd_time_claims_are_refused(staff_client: TestClient, issuer: Issuer) -> None:
    for case, overrides in ABSURD_TIME_CLAIMS.items():
        token = issuer.token(now=_now(), roles=["admin"], **overrides)
        response = staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, case
        assert_problem(response, 401)
    ok = issuer.token(now=_now(), roles=["admin"], lifetime_seconds=23 * 3600)
    assert staff_client.get("/v1/review/requests", headers={"Authorization": f"Bearer {ok}"}).status_code == 200


def test_checkpoint_feed_is_public_and_names_no_event(staff_client: TestClient, database_url: str) -> None:
    create_key(database_url, "rita", "reviewer")
    response = staff_client.get("/v1/audit/checkpoints")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"public_key", "checkpoints"}


@pytest.mark.parametrize("sub", ["ada\x00", "\x1b[2Jada", "ada\x9b31m", "ada\x7f", "ada\nadmin", "ada\u202eadmin",
                                 "", 42, "a" * 256])
def test_a_signed_jwt_whose_sub_a_log_cannot_hold_is_401_before_any_write(
        staff_client: TestClient, database_url: str, issuer: Issuer, sub: object) -> None:
    """NUL in ``sub`` used to be a 500 on writes; ESC and C1 reached the audit log (issue 19.7)."""
    seed_requests(database_url, 1)
    token = issuer.token(now=_now(), roles=["admin"], sub=sub)  # really signed by the configured issuer
    for method, path in (("POST", "/v1/review/claim"), ("GET", "/v1/review/requests")):
        response = staff_client.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (sub, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unauthenticated" and "sub" in response.json()["detail"]
    admin = issuer.token(now=_now(), roles=["admin"], sub="ada")
    events = staff_client.get("/v1/audit", headers={"Authorization": f"Bearer {admin}"}).json()["events"]
    assert [e["action"] for e in events] == []  # nothing was claimed, nothing written


def test_a_plain_unicode_sub_is_accepted(staff_client: TestClient, database_url: str, issuer: Issuer) -> None:
    seed_requests(database_url, 1)
    token = issuer.token(now=_now(), roles=["reviewer"], sub="zoë.müller@example.org")
    claimed = staff_client.post("/v1/review/claim", headers={"Authorization": f"Bearer {token}"})
    assert claimed.status_code == 200 and claimed.json()["lease_holder"].endswith("#zoë.müller@example.org")
