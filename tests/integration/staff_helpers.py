"""Helpers for the staff-side tests: staff keys, seeded requests, a loopback JWKS server, JWTs.

``seed_requests`` inserts challenge + request rows with SQL. It stands in for the holders' proof
flow (``POST /v1/challenges`` + ``POST /v1/proofs``), which has its own tests; the review queue
only needs rows in the shape that flow writes. The golden path (``tests/e2e``) uses the real flow.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import http.server
import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from portal.domain import audit, staff
from portal.domain.audit_keys import AuditKey
from portal.settings import from_env
from portal.store.database import Database
from snapshot.addresses import b58encode, to_checksum_address

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def audit_chain_key(audit_key: AuditKey | None = None) -> bytes:
    """The chain key a writer uses: the one given, else the one the environment names (as the CLI)."""
    return (audit_key or audit.key_for(from_env())).chain_key


def create_key(database_url: str, name: str, role: str, audit_key: AuditKey | None = None, *,
               at: dt.datetime = EPOCH) -> str:
    """A staff API key made through the domain (so it is audited, under ``audit_key`` or the key the
    environment names, dated ``at``); returns the token."""

    async def work() -> str:
        db = await Database.open(database_url, size=1, audit_chain_key=audit_chain_key(audit_key))
        try:
            async with db.transaction() as conn:
                created = await staff.create_key(conn, name=name, role=role, actor="test", at=at)
        finally:
            await db.close()
        return created.token

    return asyncio.run(work())


def revoke_key(database_url: str, name: str) -> None:
    async def work() -> None:
        db = await Database.open(database_url, size=1, audit_chain_key=audit_chain_key())
        try:
            async with db.transaction() as conn:
                await staff.revoke_key(conn, name=name, actor="test", at=EPOCH)
        finally:
            await db.close()

    asyncio.run(work())


def random_evm_address() -> str:
    return to_checksum_address(secrets.token_bytes(20))


def random_solana_address() -> str:
    return b58encode(secrets.token_bytes(32))


@dataclass
class Seeded:
    request_id: uuid.UUID
    snapshot_address: str
    destination: str
    amount: int
    status_token: str


def seed_requests(database_url: str, count: int, *, amount: int = 10**18, snapshot_id: str = "demo-evm",
                  chain: str = "evm", method: str = "eip191", destination: str | None = None,
                  client_address: str | None = "203.0.113.7", snapshot_addresses: list[str] | None = None,
                  start: dt.datetime = EPOCH) -> list[Seeded]:
    """Insert ``count`` pending requests, created one millisecond apart from ``start`` (oldest first)."""
    seeded = []
    with psycopg.connect(database_url) as conn:
        for index in range(count):
            challenge_id, request_id = uuid.uuid4(), uuid.uuid4()
            address = (snapshot_addresses[index] if snapshot_addresses
                       else random_evm_address() if chain == "evm" else random_solana_address())
            target = destination or random_evm_address()
            destination_chain = "evm" if target.startswith("0x") else "solana"
            token = secrets.token_urlsafe(32)
            created_at = start + dt.timedelta(milliseconds=index)
            message = f"test challenge for {address} -> {target}"
            conn.execute(
                """INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination,
                                           destination_chain, amount, nonce, message, issued_at, expires_at, used_at,
                                           client_address)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (challenge_id, method, chain, snapshot_id, address, target, destination_chain, amount,
                 secrets.token_hex(16), message, created_at, created_at + dt.timedelta(minutes=15), created_at,
                 client_address))
            conn.execute(
                """INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination,
                                         destination_chain, amount, method, message, proof, recovered_signer,
                                         evidence, status_token_hash, client_address, user_agent, created_at,
                                         updated_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}'::jsonb, %s, %s, 'test-agent', %s,
                           %s)""",
                (request_id, challenge_id, snapshot_id, address, chain, target, destination_chain, amount, method,
                 message,
                 "0x" + "ab" * 65, address, hashlib.sha256(token.encode()).digest(), client_address,
                 created_at, created_at))
            seeded.append(Seeded(request_id, address, target, amount, token))
    return seeded


# -- JWTs -----------------------------------------------------------------------------------------
@dataclass
class JwksServer:
    """A real JWKS endpoint on loopback; ``keys`` may be changed to rotate, ``hits`` counts fetches."""

    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0


@dataclass
class Issuer:
    """An identity provider made in the test: its signing keys and the JWKS it publishes."""

    name: str
    audience: str
    jwks: JwksServer
    rsa: RSAKey
    ec: ECKey

    def token(self, *, sub: str = "alice", roles: Any = ("reviewer",), alg: str = "RS256", now: dt.datetime,
              lifetime_seconds: int = 300, **overrides: Any) -> str:
        key, kid = (self.rsa, "rsa-1") if alg.startswith(("RS", "PS")) else (self.ec, "ec-1")
        kid = overrides.pop("kid", kid)
        claims = {"iss": self.name, "aud": self.audience, "sub": sub, "roles": list(roles),
                  "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
                  "exp": int(now.timestamp()) + lifetime_seconds, **overrides}
        return jwt.encode({"alg": alg, "kid": kid}, claims, key)


def serve_jwks() -> Iterator[JwksServer]:
    """Yield a running JWKS server (as a generator fixture body); stopped afterwards."""
    server_state = JwksServer(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.hits += 1
            body = json.dumps({"keys": server_state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def make_issuer(jwks: JwksServer, name: str = "https://idp.test", audience: str = "migration-portal") -> Issuer:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
    jwks.keys = [rsa.as_dict(private=False), ec.as_dict(private=False)]
    return Issuer(name, audience, jwks, rsa, ec)


class ManualClock:
    """An injected clock the test moves by hand (lease expiry without sleeping)."""

    def __init__(self, start: dt.datetime = EPOCH + dt.timedelta(days=1)) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
