"""An upheld case's correction lands in the next release of its destination chain: the signed entries
name the case, the holder claims it like any entry, and the public log says which release carries it.

A live portal, the ``portal release`` CLI as an operator runs it, real keys (the 2-of-2 root of
``policy_live``), a holder's real signature (Hardhat account 19, left out of the demo snapshot)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from policy.release import decode_entries, parse_release
from policy.release_corrections import tokens_text
from policy.signatures import sig_path
from portal.domain.amounts import token_units
from snapshot import uniswap
from snapshot.addresses import parse_address
from tests.integration.case_helpers import DESTINATION, EXCLUDED, sign
from tests.integration.policy_live import OLD, Portal, portal
from tests.integration.staff_helpers import create_key
from tests.integration.test_releases import DISTRIBUTOR, operator_env, run
from tests.integration.test_releases import sign as sign_release

__all__ = ["operator_env", "portal"]  # fixtures
CORRECTED = 300 * 10**18


def test_an_upheld_correction_is_carried_by_the_next_release(portal: Portal, operator_env: None, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    challenge = httpx.post(portal.base + "/v1/challenges", json={
        "address": EXCLUDED.address, "destination": DESTINATION, "method": "eip191", "purpose": "case"}).json()
    case = httpx.post(portal.base + "/v1/cases", json={
        "challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot", "text": "Left the exchange in time.",
        "signature": sign(EXCLUDED, challenge["message"])}).json()
    staff = {"Authorization": f"Bearer {create_key(portal.database_url, 'ann', 'approver')}"}
    path = f"{portal.base}/v1/review/cases/{case['case_id']}"
    assert httpx.post(f"{path}/claim", headers=staff).status_code == 200
    decided = httpx.post(f"{path}/decision", headers=staff, json={
        "outcome": "upheld", "reason": "Withdrawn before the snapshot block.", "amount": str(CORRECTED)})
    assert decided.status_code == 200, decided.text

    r1 = tmp_path / "release-evm-1.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(r1))
    assert code == 0, err
    assert json.loads(out)["entries"] == 1
    [entry] = decode_entries((tmp_path / "release-evm-1.entries.json").read_bytes())
    assert entry.destination == DESTINATION and entry.amount == str(CORRECTED)
    assert [(s.snapshot_address, s.case_id) for s in entry.sources] == [(EXCLUDED.address, case["case_id"])]
    assert run(capsys, "release", "distributor", str(r1), DISTRIBUTOR)[0] == 0
    original = r1.read_text(encoding="utf-8")
    decimals = parse_release(original.encode()).decimals  # the destination token's
    tokens = tokens_text(CORRECTED, decimals)
    listed = (f"- Case `{case['case_id']}`: address `{EXCLUDED.address}` (snapshot `{entry.sources[0].snapshot_id}`, "
              "kind `not_in_snapshot`, "
              f"category `exchange`) to `{DESTINATION}`, {tokens} tokens ({CORRECTED} base units). "
              'Reason: "Withdrawn before the snapshot block."')
    assert "\n## Corrections\n" in original and listed in original.splitlines()  # the signatures cover it
    assert "Left the exchange in time." not in original  # the holder's own words are never in a release

    for edited, why in [(original.replace(listed + "\n", ""), "does not list"),
                        (original.replace(f"{tokens} tokens", f"{tokens}0 tokens"), f"the entries pay {tokens} tokens"),
                        (original.replace("Withdrawn before", "Withdrawn long before"), "as decided"),
                        (original + listed.replace(case["case_id"], "0" * 8 + case["case_id"][8:]) + "\n",
                         "which no entry pays")]:
        r1.write_text(edited, encoding="utf-8")
        sig_path(r1).unlink(missing_ok=True)
        sign_release(r1, *OLD)
        code, _, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
        assert code == 1 and "corrections_mismatch" in err and why in err, err
    r1.write_text(original, encoding="utf-8")
    sig_path(r1).unlink()
    sign_release(r1, *OLD)
    code, _, err = run(capsys, "release", "publish", str(r1), "--url", portal.base)
    assert code == 0, err
    releases_page = httpx.get(portal.base + "/releases").text
    assert "Corrections in this release" in releases_page and "Withdrawn before the snapshot block." in releases_page
    assert case["case_id"] in releases_page and f"{token_units(CORRECTED, decimals)} tokens" in releases_page

    [correction] = httpx.get(portal.base + "/v1/corrections").json()
    assert (correction["case_id"], correction["release"], correction["category"]) == (case["case_id"], "evm/1",
                                                                                       "exchange")
    page = httpx.get(portal.base + "/corrections").text
    assert EXCLUDED.address in page and 'href="/releases/evm/1.md"' in page and "exclude list: exchange" in page
    assert "Left the exchange in time." not in page  # the holder's words stay private
    view = httpx.get(f"{portal.base}/v1/cases/{case['case_id']}",
                     headers={"Authorization": f"Bearer {case['status_token']}"}).json()
    assert view["correction"]["release"] == "evm/1"
    detail = httpx.get(portal.base + "/v1/releases/evm/1").json()
    [claim] = detail["claims"]
    leaf = uniswap.leaf_hash(claim["index"], parse_address(DESTINATION).raw, int(claim["amount"]))
    assert uniswap.verify([bytes.fromhex(p[2:]) for p in claim["proof"]], bytes.fromhex(detail["merkle_root"][2:]),
                          leaf)
    assert parse_release(r1.read_bytes()).entries == 1
    code, _, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(tmp_path / "x.md"))
    assert code == 1 and "no approved request or upheld correction" in err  # carried once
