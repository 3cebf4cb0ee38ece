"""Many clients at once: one address gets exactly one request; one challenge is used exactly once.

Real concurrency: an async test client sends all requests before any answer is awaited, the app
serves them on one event loop with a pool of database connections, and the database's row lock and
unique index decide. Afterwards the rows are counted.
"""

from __future__ import annotations

import asyncio

import msgspec
import psycopg
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.settings import Settings

Account.enable_unaudited_hdwallet_features()
HOLDER = Account.from_mnemonic("test test test test test test test test test test test junk",
                               account_path="m/44'/60'/0'/0/2")  # public Hardhat test key
DESTINATION = "0x1111111111111111111111111111111111111111"
CLIENTS = 50


def count(database_url: str, sql: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchone()[0]  # type: ignore[index]


async def _challenge(client: AsyncTestClient) -> tuple[str, str]:
    body = (await client.post("/v1/challenges", json={"address": HOLDER.address, "destination": DESTINATION,
                                                        "method": "eip191"})).json()
    signature = "0x" + HOLDER.sign_message(encode_defunct(text=body["message"])).signature.hex()
    return body["challenge_id"], signature


def test_fifty_proofs_for_one_address_make_one_request(settings: Settings) -> None:
    async def run() -> list:
        app = create_app(msgspec.structs.replace(settings, db_pool_size=20))
        async with AsyncTestClient(app=app) as client:
            signed = [await _challenge(client) for _ in range(CLIENTS)]
            return await asyncio.gather(*(client.post("/v1/proofs", json={"challenge_id": c, "signature": s})
                                          for c, s in signed))

    answers = asyncio.run(run())
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * (CLIENTS - 1) + [201], statuses
    assert len({a.json()["request_id"] for a in answers}) == 1
    assert sum(a.json()["status_token"] is not None for a in answers) == 1
    assert count(settings.database_url, "SELECT count(*) FROM requests") == 1  # type: ignore[arg-type]
    assert count(settings.database_url, "SELECT count(*) FROM challenges WHERE used_at IS NULL") == 0  # type: ignore[arg-type]
    assert count(settings.database_url, "SELECT count(*) FROM audit_events") == 1  # type: ignore[arg-type]


def test_fifty_uses_of_one_challenge_succeed_once(settings: Settings) -> None:
    async def run() -> list:
        app = create_app(msgspec.structs.replace(settings, db_pool_size=20))
        async with AsyncTestClient(app=app) as client:
            challenge_id, signature = await _challenge(client)
            body = {"challenge_id": challenge_id, "signature": signature}
            return await asyncio.gather(*(client.post("/v1/proofs", json=body) for _ in range(CLIENTS)))

    answers = asyncio.run(run())
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"challenge_used"}
    assert count(settings.database_url, "SELECT count(*) FROM requests") == 1  # type: ignore[arg-type]
