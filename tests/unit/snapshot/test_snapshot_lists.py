"""Bad holder lists are refused whole, every bad row named by its line, and no artifact is left."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import snapshot
from portal.cli import snapshot as snapshot_cli
from snapshot import build


def main(argv: list[str]) -> int:
    """``portal snapshot ...`` through the module's own ``register``, independent of the top-level CLI."""
    parser = argparse.ArgumentParser(prog="portal")
    snapshot_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


GOOD_A = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
GOOD_B = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SOLANA = "H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2"


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        (f"address,amount\n{GOOD_A},1\nnot-an-address,5\n", 3, "not an address"),
        (f"address,amount\n{GOOD_A},1\n0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267,5\n", 3, "EIP-55"),
        (f"address,amount\n{GOOD_A},1\n{GOOD_A.lower()},5\n", 3, "duplicate address (first on line 2)"),
        (f"address,amount\n{GOOD_A},-1\n", 2, "negative"),
        (f"address,amount\n{GOOD_A},1.5\n", 2, "fraction"),
        (f"address,amount\n{GOOD_A},{2**256}\n", 2, "uint256"),
        (f"address,amount\n{GOOD_A},0\n", 2, "positive"),
        (f"address,amount\n{GOOD_A},1e18\n", 2, "digits only"),
        (f"address,amount\n{GOOD_A}\n", 2, "missing amount column"),
        (f"address,amount\n{GOOD_A},1,2\n", 2, "expected 2 columns"),
        (f"address,amount\n{GOOD_A},1\n{SOLANA},2\n", 3, "one list holds one chain"),
        (f"wallet,balance\n{GOOD_A},1\n", 1, "header"),
        ("address,amount\n", 1, "no rows"),
    ],
)
def test_bad_list_is_refused_with_line_and_no_artifact(tmp_path: Path, body: str, line: int, reason: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "holders.csv"
    source.write_text(body)
    out = tmp_path / "out"
    with pytest.raises(snapshot.HolderListError) as caught:
        snapshot.build_artifact(source, out)
    assert any(n == line and reason in text for n, text in caught.value.problems), caught.value.problems
    assert not out.exists() or list(out.iterdir()) == []
    assert main(["snapshot", "build", str(source), "--out", str(out)]) == 1
    assert f"line {line}: " in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\nbad1,1\n{GOOD_A},1\nbad2,1\n{GOOD_B},-3\n")
    with pytest.raises(snapshot.HolderListError) as caught:
        snapshot.build_artifact(source, tmp_path)
    assert [line for line, _ in caught.value.problems] == [2, 4, 5]


def test_spreadsheet_export_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "holders.csv"
    source.write_bytes(b"\xef\xbb\xbfAddress , Amount\r\n" + f"{GOOD_A.lower()},10\r\n{GOOD_B},20\r\n\r\n".encode())
    manifest = snapshot.build_artifact(source, tmp_path / "out", name="x", block=7)
    assert (manifest.entries, manifest.total, manifest.chain, manifest.block) == (2, "30", "evm", 7)


def test_json_lines_and_csv_give_the_same_artifact(tmp_path: Path) -> None:
    csv_file, jsonl_file = tmp_path / "a.csv", tmp_path / "a.jsonl"
    csv_file.write_text(f"address,amount\n{GOOD_A},10\n{GOOD_B},20\n")
    jsonl_file.write_text(f'{{"address": "{GOOD_A}", "amount": "10"}}\n{{"address": "{GOOD_B}", "amount": 20}}\n')
    a = snapshot.build_artifact(csv_file, tmp_path / "o", name="same")
    b = snapshot.build_artifact(jsonl_file, tmp_path / "o", name="same")
    assert a.sha256 == b.sha256


def _rows(count: int) -> list[str]:
    return [f"0x{index:040x},{index + 1}" for index in range(1, count + 1)]


def test_parallel_build_equals_serial_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "holders.csv"
    source.write_text("address,amount\n" + "\n".join(_rows(300)) + "\n")
    serial = snapshot.build_artifact(source, tmp_path / "serial")
    monkeypatch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    parallel = snapshot.build_artifact(source, tmp_path / "parallel")
    assert parallel.sha256 == serial.sha256


def test_parallel_path_reports_exact_lines_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A duplicate split across workers' chunks and a bad row in the last chunk: same report as serial."""
    rows = _rows(300)
    rows[290] = rows[3].split(",")[0] + ",7"  # line 292 repeats line 5, in another chunk
    rows[295] = "0xnot-hex,1"  # line 297
    source = tmp_path / "holders.csv"
    source.write_text("address,amount\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    with pytest.raises(snapshot.HolderListError) as caught:
        snapshot.build_artifact(source, tmp_path / "out")
    assert [line for line, _ in caught.value.problems] == [292, 297]
    assert "first on line 5" in caught.value.problems[0][1]
    assert not (tmp_path / "out").exists()


def test_negative_block_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\n{GOOD_A},1\n")
    with pytest.raises(SystemExit) as caught:
        main(["snapshot", "build", str(source), "--out", str(tmp_path / "out"), "--block", "-1"])
    assert caught.value.code == 2
    with pytest.raises(ValueError, match="negative"):
        snapshot.build_artifact(source, tmp_path / "out", block=-1)
    assert not (tmp_path / "out").exists()
