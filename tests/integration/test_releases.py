"""Releases end to end on a live portal: approve, prepare, name the contract, sign, publish, verify.

Real PostgreSQL, real keys (the 2-of-2 root of ``policy_live``), the ``portal`` CLI as an operator
runs it, HTTP over loopback. Proofs are checked with the trees' own verify functions written from
the contracts (``snapshot.uniswap.verify`` and the distributor's ``verify``, re-implemented here).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from policy import release_writing
from policy.release import decode_entries, parse_release, release_statement
from policy.signatures import Signature, add_signature, dump_signatures, load_signatures, sig_path
from policy.statement import sign_statement
from portal.cli import main
from portal.settings import Settings
from snapshot import uniswap
from snapshot.addresses import parse_address
from tests.integration.policy_live import OLD, Portal, portal, sql
from tests.integration.staff_helpers import EPOCH, create_key, random_solana_address, seed_requests

__all__ = ["portal"]  # the fixture
DISTRIBUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SOLANA_PROGRAM = "mERKcfxMC5SqJn4Ld4BUris3WKZZ1ojjWJ3A3J5CKxv"
SOLANA_DISTRIBUTOR = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"


def evm_snapshot(portal: Portal) -> str:
    return next(m["id"] for m in httpx.get(portal.base + "/v1/snapshots").json() if m["chain"] == "evm")


def approve_all(portal: Portal) -> int:
    token = create_key(portal.database_url, f"admin-{os.urandom(3).hex()}", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    decided = 0
    while (claimed := httpx.post(portal.base + "/v1/review/claim", headers=headers)).status_code == 200:
        response = httpx.post(f"{portal.base}/v1/review/requests/{claimed.json()['request_id']}/decision",
                              headers=headers, json={"decision": "approve"})
        assert response.status_code == 200 and response.json()["status"] == "approved", response.text
        decided += 1
    return decided


def holder_view(portal: Portal, holder) -> dict:
    response = httpx.get(f"{portal.base}/v1/requests/{holder.request_id}",
                         headers={"Authorization": f"Bearer {holder.status_token}"})
    assert response.status_code == 200, response.text
    return response.json()


def holder_page(portal: Portal, holder) -> str:
    response = httpx.post(f"{portal.base}/requests/{holder.request_id}", data={"status_token": holder.status_token})
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


@pytest.fixture
def operator_env(portal: Portal, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", portal.database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(settings.snapshots))
    monkeypatch.setenv("PORTAL_TOKEN", portal.token)
    monkeypatch.setenv("PORTAL_EVM_CHAIN_ID", str(settings.evm_chain_id))  # the CLI beside the server it serves
    monkeypatch.delenv("PORTAL_DESTINATIONS_FILE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def sign(doc: Path, *accounts) -> None:
    line = release_statement(parse_release(doc.read_bytes()))
    signatures = load_signatures(sig_path(doc))
    for account in accounts:
        signatures = add_signature(signatures, Signature(account.address, sign_statement(line, account.key)))
    dump_signatures(sig_path(doc), signatures)


def test_release_flow_numbers_chains_and_refuses(portal: Portal, operator_env: None, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    seeded = seed_requests(portal.database_url, 2, snapshot_id=evm_snapshot(portal), chain="evm")
    assert approve_all(portal) == 2
    r1 = tmp_path / "release-evm-1.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(r1),
                         "--claim-deadline", "2027-06-01T00:00:00Z")
    assert code == 0, err
    printed = json.loads(out)
    assert set(printed) == {"path", "number", "destination_chain", "tree", "merkle_root", "entries", "total",
                            "entries_sha256", "chain_id", "held_back"}
    assert (printed["number"], printed["tree"], printed["entries"]) == (1, "uniswap", 2)
    assert (printed["chain_id"], printed["held_back"]) == (Settings().evm_chain_id, [])  # keys prove on every chain
    entries_file = tmp_path / "release-evm-1.entries.json"
    assert hashlib.sha256(entries_file.read_bytes()).hexdigest() == printed["entries_sha256"]

    assert run(capsys, "release", "distributor", str(r1), DISTRIBUTOR)[0] == 0
    sign(r1, OLD[0])
    code, _, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
    assert code == 1 and "below_threshold" in err
    code, _, err = run(capsys, "release", "distributor", str(r1), "0x" + "12" * 20)
    assert code == 1 and "signature" in err  # the signatures would not cover a new address
    sign(r1, OLD[1])
    original = entries_file.read_bytes()
    entries_file.write_bytes(original.replace(f'"amount":"{seeded[0].amount}"'.encode(),
                                              f'"amount":"{seeded[0].amount + 1}"'.encode(), 1))
    code, _, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
    assert code == 1 and "entries_mismatch" in err
    entries_file.write_bytes(original)
    code, out, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
    assert code == 0, err
    assert json.loads(out)["sha256"] == hashlib.sha256(r1.read_bytes()).hexdigest()

    code, _, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(tmp_path / "x.md"))
    assert code == 1 and err.count("\n") == 1 and "no approved request" in err

    # Served: listed, with every proof claimable against the root, cacheable for good.
    listed = httpx.get(portal.base + "/v1/releases").json()
    assert [(r["destination_chain"], r["number"], r["entries"], r["distributor"]) for r in listed] == [
        ("evm", 1, 2, DISTRIBUTOR)]
    one = httpx.get(portal.base + "/v1/releases/evm/1")
    assert "immutable" in one.headers["cache-control"] and one.headers["etag"].startswith('"')
    assert httpx.get(portal.base + "/v1/releases/evm/1",
                     headers={"If-None-Match": one.headers["etag"]}).status_code == 304
    detail = one.json()
    assert {c["destination"] for c in detail["claims"]} == {s.destination for s in seeded}
    root = bytes.fromhex(detail["merkle_root"][2:])
    for claim in detail["claims"]:
        leaf = uniswap.leaf_hash(claim["index"], parse_address(claim["destination"]).raw, int(claim["amount"]))
        assert uniswap.verify([bytes.fromhex(p[2:]) for p in claim["proof"]], root, leaf)
    claims_json = httpx.get(portal.base + "/v1/releases/evm/1", params={"format": "uniswap-claims"}).json()
    assert claims_json["merkleRoot"] == detail["merkle_root"] and len(claims_json["claims"]) == 2
    assert httpx.get(portal.base + "/releases/evm/1.md").content == r1.read_bytes()
    assert httpx.get(portal.base + "/releases/evm/1.entries.json").content == original

    # The holder's own view names the release, the entry, its proof, the contract and the deadline.
    for holder in seeded:
        view = holder_view(portal, holder)
        held = view["release"]
        assert (held["destination_chain"], held["number"], held["distributor"]) == ("evm", 1, DISTRIBUTOR)
        assert held["claim_deadline"].startswith("2027-06-01") and held["claimed_at"] is None
        leaf = uniswap.leaf_hash(held["index"], parse_address(view["destination"]).raw, int(held["amount"]))
        assert uniswap.verify([bytes.fromhex(p[2:]) for p in held["proof"]], root, leaf)
        page = holder_page(portal, holder)
        tokens = f"{int(held['amount']) // 10 ** held['decimals']:,}"  # the demo's amounts are whole tokens
        assert f"In release 1: claim {tokens} tokens ({held['amount']} base units) on Ethereum" in page
        assert f"from contract {DISTRIBUTOR}" in page and "before 00:00 UTC on 01 June 2027" in page
        assert (f'cast send {DISTRIBUTOR} "claim(uint256,address,uint256,bytes32[])" {held["index"]} '
                f"{view['destination']} {held['amount']} '{json.dumps(held['proof'], separators=(',', ':'))}'" in page)

    # Release 2 holds the third approval alone, chained to release 1; release 1 again is out of order.
    third = seed_requests(portal.database_url, 1, snapshot_id=evm_snapshot(portal), chain="evm",
                          start=EPOCH.replace(year=2025, month=6))
    assert approve_all(portal) == 1
    assert holder_view(portal, third[0])["release"] is None  # approved, waiting for the next release
    waiting = holder_page(portal, third[0])
    assert "What happens next" in waiting and "staff publish a signed release" in waiting
    assert "Claim your tokens" not in waiting
    r2 = tmp_path / "release-evm-2.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(r2))
    assert code == 0, err
    assert json.loads(out)["number"] == 2 and json.loads(out)["entries"] == 1
    doc2 = parse_release(r2.read_bytes())
    assert doc2.prev == hashlib.sha256(r1.read_bytes()).hexdigest()
    assert run(capsys, "release", "distributor", str(r2), DISTRIBUTOR)[0] == 0
    sign(r2, *OLD)
    code, _, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
    assert code == 1 and "not_next_number" in err
    assert run(capsys, "release", "publish", str(r2), "--url", portal.base)[0] == 0
    entries2 = httpx.get(portal.base + "/v1/releases/evm/2").json()["claims"]
    assert holder_view(portal, third[0])["release"]["number"] == 2
    assert [c["destination"] for c in entries2] == [third[0].destination]

    # export-static writes what the server answers, byte for byte, at the same paths.
    static = tmp_path / "static"
    code, out, err = run(capsys, "release", "export-static", "--out", str(static))
    assert code == 0, err
    for path in ("/releases/evm/1.md", "/releases/evm/2.md.sig.json", "/releases/evm/2.entries.json"):
        assert (static / path.lstrip("/")).read_bytes() == httpx.get(portal.base + path).content
    assert (static / "v1/releases/evm/1.json").read_bytes() == httpx.get(portal.base + "/v1/releases/evm/1").content
    assert (static / "v1/releases/evm/1.uniswap-claims.json").read_bytes() == httpx.get(
        portal.base + "/v1/releases/evm/1", params={"format": "uniswap-claims"}).content
    assert json.loads((static / "v1/releases.json").read_bytes()) == httpx.get(portal.base + "/v1/releases").json()

    # Anyone verifies from the root they hold; a server that edits an entry is caught.
    code, out, err = run(capsys, "release", "verify", "--url", portal.base, "--root-sha256", portal.root1_sha256)
    assert code == 0, err
    assert [(r["destination_chain"], r["number"]) for r in json.loads(out)["releases"]] == [("evm", 1), ("evm", 2)]
    sql(portal, "UPDATE releases SET entries_file = convert_to(replace(convert_from(entries_file, 'UTF8'), "
                "'\"index\":0', '\"index\": 0'), 'UTF8') WHERE number = 1")
    code, _, err = run(capsys, "release", "verify", "--url", portal.base, "--root-sha256", portal.root1_sha256)
    assert code == 1 and "entries_mismatch" in err


def test_solana_release_proofs_pass_the_distributor_verify(portal: Portal, operator_env: None, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    destination = random_solana_address()
    seed_requests(portal.database_url, 2, snapshot_id=evm_snapshot(portal), chain="evm", destination=destination)
    seed_requests(portal.database_url, 3, snapshot_id=evm_snapshot(portal), chain="evm", destination=None,
                  start=EPOCH.replace(month=2))
    # The three with EVM destinations stay out of a Solana release.
    seed_requests(portal.database_url, 2, snapshot_id=evm_snapshot(portal), chain="evm",
                  destination=random_solana_address(), start=EPOCH.replace(month=3))
    assert approve_all(portal) == 7
    doc = tmp_path / "release-solana-1.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "solana", "--out", str(doc))
    assert code == 0, err
    assert json.loads(out)["tree"] == "distributor" and json.loads(out)["entries"] == 2  # one destination twice
    assert run(capsys, "release", "distributor", str(doc), SOLANA_DISTRIBUTOR)[0] == 2  # the program is missing
    assert run(capsys, "release", "distributor", str(doc), SOLANA_DISTRIBUTOR, "--program", SOLANA_PROGRAM)[0] == 0
    sign(doc, *OLD)
    assert run(capsys, "release", "publish", str(doc), "--url", portal.base)[0] == 0
    tree = httpx.get(portal.base + "/v1/releases/solana/1", params={"format": "distributor-json"}).json()
    assert tree["airdrop_version"] == 1 and len(tree["tree_nodes"]) == 2
    root = bytes(tree["merkle_root"])
    for node in tree["tree_nodes"]:
        assert onchain_verify([bytes(p) for p in node["proof"]], root, bytes(node["claimant"]), node["amount"])
        assert not onchain_verify([bytes(p) for p in node["proof"]], root, bytes(node["claimant"]), node["amount"] + 1)
    combined = next(n for n in tree["tree_nodes"] if bytes(n["claimant"]) == parse_address(destination).raw)
    assert combined["amount"] == 2 * 10**18


def onchain_verify(proof: list[bytes], root: bytes, claimant: bytes, amount: int, locked: int = 0) -> bool:
    """``new_claim`` + ``jito_merkle_verify::verify`` from the program's source, independently of the portal."""
    node = hashlib.sha256(claimant + amount.to_bytes(8, "little") + locked.to_bytes(8, "little")).digest()
    node = hashlib.sha256(b"\x00" + node).digest()
    for element in proof:
        node = hashlib.sha256(b"\x01" + (node + element if node <= element else element + node)).digest()
    return node == root


def test_an_evm_release_is_for_this_servers_chain_id_and_holds_no_wallet_proven_on_another(
        portal: Portal, operator_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal's EVM chain is 1 (the default). One approval was proven by a contract wallet on chain 8453 (as
    the verifier writes its evidence; ``tests/integration/test_one_chain.py`` proves one on a real chain): it is
    held back. A release prepared for chain 8453, or one that names chain 1 but carries that approval, is refused
    at publish, signatures or not."""
    key_holder, wallet = seed_requests(portal.database_url, 2, snapshot_id=evm_snapshot(portal), chain="evm")
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute("UPDATE requests SET evidence = %s WHERE id = %s",
                     (Jsonb({"verification": {"contract_wallet": True, "chain_id": 8453}}), wallet.request_id))
    assert approve_all(portal) == 2

    monkeypatch.setenv("PORTAL_EVM_CHAIN_ID", "8453")  # an operator whose environment names another chain
    elsewhere = tmp_path / "release-evm-8453.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(elsewhere))
    assert code == 0 and json.loads(out)["chain_id"] == 8453 and json.loads(out)["entries"] == 2, err
    assert run(capsys, "release", "distributor", str(elsewhere), DISTRIBUTOR)[0] == 0
    sign(elsewhere, *OLD)
    code, _, err = run(capsys, "release", "publish", str(elsewhere), "--url", portal.base)
    assert code == 1 and "wrong_chain_id" in err and "chain id 8453" in err

    monkeypatch.delenv("PORTAL_EVM_CHAIN_ID")
    here = tmp_path / "release-evm-1.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(here))
    printed = json.loads(out)
    assert code == 0 and (printed["chain_id"], printed["entries"]) == (1, 1), err
    assert [h["snapshot_address"] for h in printed["held_back"]] == [wallet.snapshot_address]
    assert f"held back {wallet.snapshot_address}" in err and "chain id 8453, not 1" in err

    # A forged release: it names chain 1, yet pays the wallet's approval proven on chain 8453.
    forged_entries = decode_entries((tmp_path / "release-evm-8453.entries.json").read_bytes())
    paid = [(entry.destination, source) for entry in forged_entries for source in entry.sources]
    forged = release_writing.prepare(paid, destination_chain="evm", number=1, tree="uniswap", prev="", decimals=0,
                                     created=parse_release(here.read_bytes()).created, chain_id=1)
    forged_path = tmp_path / "forged.md"
    forged_path.write_text(forged.text)
    (tmp_path / "forged.entries.json").write_bytes(forged.entries_bytes)
    assert run(capsys, "release", "distributor", str(forged_path), DISTRIBUTOR)[0] == 0
    sign(forged_path, *OLD)
    code, _, err = run(capsys, "release", "publish", str(forged_path), "--url", portal.base)
    assert code == 1 and "proof_on_other_chain" in err

    assert run(capsys, "release", "distributor", str(here), DISTRIBUTOR)[0] == 0
    sign(here, *OLD)
    code, _, err = run(capsys, "release", "publish", str(here), "--url", portal.base)
    assert code == 0, err
    detail = httpx.get(portal.base + "/v1/releases/evm/1").json()
    assert detail["chain_id"] == 1 and [(c["destination"], c["chain_id"]) for c in detail["claims"]] == [
        (key_holder.destination, 1)]
    held = holder_view(portal, key_holder)["release"]
    assert held["chain_id"] == 1
    assert "on Ethereum (chain id 1, and no other)" in holder_page(portal, key_holder)
    assert holder_view(portal, wallet).get("release") is None  # held back, still waiting
