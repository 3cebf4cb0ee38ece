"""The artifact: corruption of any byte is detected; open is framing-only; the CLI reports it."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

import pytest

import snapshot
from portal.cli import snapshot as snapshot_cli


def main(argv: list[str]) -> int:
    """``portal snapshot ...`` through the module's own ``register``, independent of the top-level CLI."""
    parser = argparse.ArgumentParser(prog="portal")
    snapshot_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("artifact")
    rng = random.Random(5)
    source = tmp / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"0x{rng.randbytes(20).hex()},{rng.randrange(1, 10**30)}\n"
                                                    for _ in range(40)))
    return Path(snapshot.build_artifact(source, tmp / "out").path)


def _header(artifact: Path) -> dict:
    data = artifact.read_bytes()
    return json.loads(data[12: 12 + int.from_bytes(data[8:12], "little")])


def _corrupt_copy(artifact: Path, tmp_path: Path, position: int) -> Path:
    data = bytearray(artifact.read_bytes())
    data[position] ^= 0x01
    target = tmp_path / artifact.name  # same content-addressed name, different content
    target.write_bytes(bytes(data))
    return target


def test_intact_artifact_verifies(artifact: Path) -> None:
    with snapshot.Snapshot.open(artifact) as opened:
        opened.verify()


def test_every_single_byte_corruption_is_detected(artifact: Path, tmp_path: Path) -> None:
    size = artifact.stat().st_size
    for position in range(0, size, max(1, size // 400)):
        corrupted = _corrupt_copy(artifact, tmp_path, position)
        with pytest.raises(snapshot.ArtifactError):
            with snapshot.Snapshot.open(corrupted) as opened:
                opened.verify()


def test_structural_check_without_file_hash_finds_damage_in_every_section(artifact: Path, tmp_path: Path) -> None:
    """Even if an attacker renamed the file to its new hash, a flipped bucket, key, amount, treeIndex or
    node is found."""
    header = _header(artifact)
    record = header["record_bytes"]
    positions = (header["buckets_offset"] + 1, header["index_offset"] + record * 7 + 3,  # a key
                 header["index_offset"] + record * 5 + 20 + 5,  # an amount
                 header["index_offset"] + record * 3 + 52,  # a treeIndex
                 header["tree_offset"] + 5, artifact.stat().st_size - 1)
    for position in positions:
        data = bytearray(artifact.read_bytes())
        data[position] ^= 0x80
        renamed = tmp_path / f"{hashlib.sha256(data).hexdigest()}.snap"
        renamed.write_bytes(bytes(data))
        with snapshot.Snapshot.open(renamed) as opened, pytest.raises(snapshot.ArtifactError):
            opened.verify()


def test_truncated_or_foreign_file_fails_at_open(artifact: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.snap"
    short.write_bytes(artifact.read_bytes()[:-32])
    with pytest.raises(snapshot.ArtifactError, match="size"):
        snapshot.Snapshot.open(short)
    foreign = tmp_path / "foreign.snap"
    foreign.write_bytes(b"hello world, not a snapshot")
    with pytest.raises(snapshot.ArtifactError, match="magic"):
        snapshot.Snapshot.open(foreign)


def test_cli_inspect_proof_verify(artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "inspect", str(artifact)]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["entries"] == 40 and manifest["sha256"] == artifact.stem
    assert main(["snapshot", "verify", str(artifact)]) == 0
    capsys.readouterr()
    assert main(["snapshot", "proof", str(artifact), "0x000000000000000000000000000000000000dEaD"]) == 0
    assert json.loads(capsys.readouterr().out)["eligible"] is False
    assert main(["snapshot", "proof", str(artifact), "0xnope"]) == 2
    assert "invalid_address" in capsys.readouterr().err
    corrupted = _corrupt_copy(artifact, tmp_path, artifact.stat().st_size // 2)
    assert main(["snapshot", "verify", str(corrupted)]) == 1
    assert "sha256" in capsys.readouterr().err


def test_renamed_copy_opens_with_its_real_id_but_fails_verify(artifact: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "holders.snap"
    renamed.write_bytes(artifact.read_bytes())
    with snapshot.Snapshot.open(renamed) as opened:
        assert opened.manifest.sha256 == artifact.stem
        assert opened.manifest.id == artifact.stem[:16]
        with pytest.raises(snapshot.ArtifactError, match="content-addressed"):
            opened.verify()


def test_artifact_of_another_format_version_is_refused_with_a_rebuild_hint(artifact: Path, tmp_path: Path) -> None:
    older = tmp_path / "older.snap"
    data = bytearray(artifact.read_bytes())
    data[7] = 2  # format 2: no tree, decimals or source in the header
    older.write_bytes(bytes(data))
    with pytest.raises(snapshot.ArtifactError, match=r"format 2 is not 3.*rebuild"):
        snapshot.Snapshot.open(older)
