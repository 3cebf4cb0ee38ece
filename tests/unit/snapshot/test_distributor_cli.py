"""``portal snapshot build --tree distributor``, ``proof``, ``export`` and ``export-static`` from the shell."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest

import snapshot
from portal.cli import snapshot as snapshot_cli
from snapshot.addresses import b58encode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="portal")
    snapshot_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def holders(tmp_path: Path) -> tuple[Path, list[tuple[str, int]]]:
    rng = random.Random(8)
    rows = [(b58encode(rng.randbytes(32)), rng.randrange(1, 10**13)) for _ in range(11)]
    source = tmp_path / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"{a},{n}\n" for a, n in rows))
    return source, rows


def test_build_proof_and_export_through_the_cli(holders, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_DESTINATIONS_FILE", raising=False)
    source, rows = holders
    assert main(["snapshot", "build", str(source), "--out", str(tmp_path / "out"), "--tree", "distributor",
                 "--decimals", "9"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["tree"] == "distributor" and manifest["decimals"] == 9 and manifest["source"] is None
    destinations = tmp_path / "destinations.toml"
    destinations.write_text('[solana]\ndecimals = 6\nratio = "2/1"\n')
    assert main(["snapshot", "proof", manifest["path"], rows[3][0], "--destinations", str(destinations)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["tree"] == "distributor" and answer["leaf_index"] == 3 and answer["amount"] == str(rows[3][1])
    assert answer["claim_amounts"] == [{"destination_chain": "solana", "amount": str(rows[3][1] * 2 // 1000),
                                        "decimals": 6}]
    assert main(["snapshot", "export", manifest["path"], "--format", "distributor-json",
                 "--out", str(tmp_path / "tree.json")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["trees"][0]["merkle_root"] == manifest["merkle_root"]
    assert bytes(json.loads((tmp_path / "tree.json").read_bytes())["merkle_root"]).hex() == manifest["merkle_root"][2:]
    assert main(["snapshot", "export", manifest["path"], "--format", "distributor-json", "--out",
                 str(tmp_path / "trees"), "--max-nodes-per-tree", "4", "--destination-chain", "solana",
                 "--destinations", str(destinations)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [tree["max_num_nodes"] for tree in summary["trees"]] == [4, 4, 3]
    assert sorted(path.name for path in (tmp_path / "trees").iterdir()) == ["tree_0.json", "tree_1.json", "tree_2.json"]
    assert summary["conversion"]["total"] == str(sum(n for _, n in rows))


def test_u64_overflow_is_reported_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\n{b58encode(bytes(range(32)))},1\n{b58encode(bytes(32))},{2**64}\n")
    assert main(["snapshot", "build", str(source), "--out", str(tmp_path / "out"), "--tree", "distributor"]) == 1
    err = capsys.readouterr().err
    assert f"line 3: amount {2**64} does not fit in u64" in err and "no artifact written" in err


def test_an_oz_artifact_is_not_exported_as_distributor_json(holders, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    source, _ = holders
    manifest = snapshot.build_artifact(source, tmp_path / "out")
    assert main(["snapshot", "export", manifest.path, "--format", "distributor-json",
                 "--out", str(tmp_path / "tree.json")]) == 1
    assert "built with --tree distributor" in capsys.readouterr().err
    assert not (tmp_path / "tree.json").exists()


def test_source_is_recorded_in_header_and_manifest(holders, tmp_path: Path) -> None:
    source, _ = holders
    record = {"kind": "spl-token", "mint": "So11111111111111111111111111111111111111112", "slot": 250_000_000}
    manifest = snapshot.build_artifact(source, tmp_path / "out", source=record)
    assert manifest.source == record
    with snapshot.Snapshot.open(manifest.path) as opened:
        assert opened.manifest.source == record and opened.manifest.tree == "oz"
        opened.verify()
