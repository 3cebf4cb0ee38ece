"""The README's policy commands work as written (issue 22, item 6).

- ``--demo-keys`` signs with the DEMO keys ``portal serve --demo`` keeps, and refuses any other key file;
- offline ``verify`` of version n > 1 finds version n - 1 beside it, or says in one line what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from policy.root import root_toml
from portal.cli import main


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Path]:
    """A demo's DEMO-KEYS.json and 2-of-2 root, and version 1 of a policy beside them."""
    keys = [Account.create() for _ in range(2)]
    (tmp_path / "DEMO-KEYS.json").write_text(json.dumps({
        "warning": "DEMO keys of portal serve --demo; never use them for anything real",
        "demo_private_keys": ["0x" + k.key.hex().removeprefix("0x") for k in keys]}))
    (tmp_path / "root.toml").write_text(root_toml(version=1, threshold=2, expires="2099-01-01T00:00:00Z",
                                                  signers=[k.address for k in keys]))
    assert main(["policy", "new", "--out", str(tmp_path / "official.md"), "--url", "https://migrate.example.org"]) == 0
    return tmp_path, tmp_path / "official.md"


def test_demo_keys_sign_a_policy_and_a_root(demo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, v1 = demo
    root = str(folder / "root.toml")
    capsys.readouterr()
    assert main(["policy", "verify", str(v1), "--root", root]) == 1
    capsys.readouterr()
    assert main(["policy", "sign", str(v1), "--demo-keys", str(folder / "DEMO-KEYS.json")]) == 0
    assert len(json.loads(capsys.readouterr().out)["signed"]) == 2
    assert main(["policy", "verify", str(v1), "--root", root]) == 0
    assert main(["policy", "root", "sign", root, "--demo-keys", str(folder / "DEMO-KEYS.json")]) == 0


def test_demo_keys_refuses_a_key_file_not_marked_demo(demo: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder, v1 = demo
    data = json.loads((folder / "DEMO-KEYS.json").read_text())
    real = folder / "real" / "DEMO-KEYS.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"demo_private_keys": data["demo_private_keys"]}))  # no DEMO warning
    other = folder / "keys.json"
    other.write_text((folder / "DEMO-KEYS.json").read_text())  # marked, but not the demo's file
    capsys.readouterr()
    for path in (real, other):
        assert main(["policy", "sign", str(v1), "--demo-keys", str(path)]) == 2
        err = capsys.readouterr().err
        assert "--demo-keys takes only the DEMO-KEYS.json" in err and len(err.strip().splitlines()) == 1
    assert not (folder / "official.md.sig.json").exists()


def test_offline_verify_of_version_two_finds_version_one_beside_it(demo: tuple[Path, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder, v1 = demo
    keys = str(folder / "DEMO-KEYS.json")
    v2 = folder / "official-v2.md"
    assert main(["policy", "next", str(v1), "--out", str(v2)]) == 0
    assert main(["policy", "sign", str(v2), "--demo-keys", keys]) == 0
    capsys.readouterr()
    assert main(["policy", "verify", str(v2), "--root", str(folder / "root.toml")]) == 0
    assert f"against {v1}" in capsys.readouterr().err
    alone = folder / "alone"
    alone.mkdir()
    for name in ("official-v2.md", "official-v2.md.sig.json"):
        (alone / name).write_bytes((folder / name).read_bytes())
    assert main(["policy", "verify", str(alone / "official-v2.md"), "--root", str(folder / "root.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert "needs version 1" in err and "--prev FILE" in err and len(err.splitlines()) == 1
    assert main(["policy", "verify", str(alone / "official-v2.md"), "--root", str(folder / "root.toml"),
                 "--prev", str(v1)]) == 0
