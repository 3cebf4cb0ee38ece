"""Launch-day scale: cacheable eligibility answers, and static exports that answer what the API does."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

import snapshot
from portal.app import create_app
from portal.domain import destinations, static_export
from portal.domain.eligibility import SnapshotSet
from portal.settings import Settings
from snapshot.addresses import b58encode, to_checksum_address

DESTINATIONS_TOML = '[solana]\ndecimals = 6\nratio = "3/2"\n\n[evm]\ndecimals = 18\nratio = "6/1"\n'


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], Path]:
    """An EVM OZ snapshot and a Solana distributor snapshot, both with decimals, and a destinations file."""
    tmp = tmp_path_factory.mktemp("cache")
    rng = random.Random(21)
    evm = [(to_checksum_address(rng.randbytes(20)), rng.randrange(1, 10**24)) for _ in range(40)]
    solana = [(b58encode(rng.randbytes(32)), rng.randrange(1, 10**15)) for _ in range(37)]
    paths = []
    for name, rows, tree, decimals in (("evm", evm, "oz", 18), ("solana", solana, "distributor", 9)):
        source = tmp / f"{name}.csv"
        source.write_text("address,amount\n" + "".join(f"{a},{n}\n" for a, n in rows))
        paths.append(snapshot.build_artifact(source, tmp / "out", tree=tree, decimals=decimals).path)
    destinations_file = tmp / "destinations.toml"
    destinations_file.write_text(DESTINATIONS_TOML)
    return paths, [address for address, _ in evm + solana], destinations_file


@pytest.fixture
def cached_client(database_url: str, artifacts) -> Iterator[TestClient]:
    paths, _, destinations_file = artifacts
    settings = Settings(database_url=database_url, snapshots=tuple(paths), destinations_file=str(destinations_file),
                        public_url="https://portal.example.org", rate_limit_per_minute=0,
                        eligibility_max_age_seconds=600)
    with TestClient(app=create_app(settings)) as client:
        yield client


def test_answers_carry_a_strong_etag_and_immutable_cache_control(cached_client: TestClient, artifacts) -> None:
    _, listed, _ = artifacts
    first = cached_client.get(f"/v1/eligibility/{listed[0]}")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=600, immutable"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert cached_client.get(f"/v1/eligibility/{listed[0]}").headers["etag"] == etag  # stable
    assert cached_client.get(f"/v1/eligibility/{listed[1]}").headers["etag"] != etag  # per answer
    # Another form of the same address gets the same answer, so the same validator.
    assert cached_client.get(f"/v1/eligibility/{listed[0].lower()}").headers["etag"] == etag


def test_if_none_match_is_answered_304_without_a_body(cached_client: TestClient, artifacts) -> None:
    _, listed, _ = artifacts
    for address in (listed[0], listed[-1], "0x000000000000000000000000000000000000dEaD"):
        etag = cached_client.get(f"/v1/eligibility/{address}").headers["etag"]
        # What a CDN sends when it revalidates: possibly several validators, possibly weakened.
        for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
            response = cached_client.get(f"/v1/eligibility/{address}", headers={"If-None-Match": header})
            assert response.status_code == 304, header
            assert response.content == b""
            assert response.headers["etag"] == etag
            assert response.headers["cache-control"] == "public, max-age=600, immutable"
        stale = cached_client.get(f"/v1/eligibility/{address}", headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.content


def test_a_bad_address_is_still_a_problem_not_cached(cached_client: TestClient) -> None:
    response = cached_client.get("/v1/eligibility/0xnot-an-address", headers={"If-None-Match": "*"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "etag" not in response.headers


def test_the_answer_names_the_tree_and_converts_amounts(cached_client: TestClient, artifacts) -> None:
    _, listed, _ = artifacts
    body = cached_client.get(f"/v1/eligibility/{listed[-1]}").json()
    assert body["tree"] == "distributor" and body["decimals"] == 9 and body["leaf_index"] == 36
    amount = int(body["amount"])
    assert body["claim_amounts"] == [
        {"destination_chain": "solana", "amount": str(amount * 3 // 2000), "decimals": 6},
        {"destination_chain": "evm", "amount": str(amount * 6 * 10**9), "decimals": 18}]


def test_static_files_and_kv_lines_answer_the_same_bytes_as_the_api(cached_client: TestClient, artifacts,
                                                                     tmp_path: Path) -> None:
    paths, listed, destinations_file = artifacts
    snapshots = SnapshotSet.open(paths, destinations.load(str(destinations_file)))
    try:
        files = static_export.write_files(snapshots, tmp_path / "static")
        kv = static_export.write_kv(snapshots, tmp_path / "kv.jsonl")
    finally:
        snapshots.close()
    assert files.entries == kv.entries == len(listed)
    index = json.loads((tmp_path / "static" / "index.json").read_bytes())
    assert index["entries"] == len(listed) and len(index["snapshots"]) == 2
    assert all("path" not in manifest for manifest in index["snapshots"])
    lines = {}
    for line in (tmp_path / "kv.jsonl").read_bytes().splitlines():
        entry = json.loads(line)
        lines[entry["key"]] = entry["value"].encode()
    for address in random.Random(2).sample(listed, 25):
        api = cached_client.get(f"/v1/eligibility/{address}").content
        shard = static_export.shard_of(address)
        assert (tmp_path / "static" / shard / f"{address}.json").read_bytes() == api
        assert lines[address] == api
    written = sum(path.stat().st_size for path in (tmp_path / "static").glob("*/*.json"))
    assert written == files.bytes
