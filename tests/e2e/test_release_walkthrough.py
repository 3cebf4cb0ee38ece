"""The README's release walk-through, run as written: ``portal serve --demo`` with Foundry's ``anvil``,
a holder's request filed with ``cast``, approved, frozen into release 1, Uniswap's own
``MerkleDistributor`` deployed and funded on the local chain, the release named, signed with the
demo's DEMO keys, published, claimed by the destination wallet, and "Claimed on" on the request page
once the portal's claim sync has read the ``Claimed`` event.

The block is read from README.md (the fenced block after the walk-through's marker) and run by bash
with ``-e``; the only change is two free ports for 8545 and 8000, so the test does not collide with a
demo you run yourself. ``anvil``, ``cast`` (npm ``@foundry-rs/*-linux-amd64``) and Uniswap's compiled
contracts (npm ``@uniswap/merkle-distributor``) are test-only tools that ``.ci/run`` installs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- the release walk-through: tests/e2e/test_release_walkthrough.py runs this block -->"
FOUNDRY_BIN = ROOT / "tests" / "tools" / "foundry" / "node_modules" / ".bin"
UNISWAP_BUILD = ROOT / "tests" / "tools" / "uniswap" / "node_modules" / "@uniswap" / "merkle-distributor" / "build"
TIMEOUT_SECONDS = 240


def readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    assert after.lstrip().startswith("```sh\n"), "the walk-through's marker must sit right above its ```sh block"
    return after.split("```sh\n", 1)[1].split("\n```", 1)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_readme_release_walkthrough_ends_claimed(tmp_path: Path) -> None:
    missing = [what for what, there in (("anvil", FOUNDRY_BIN / "anvil"), ("cast", FOUNDRY_BIN / "cast"),
                                        ("Uniswap's contracts", UNISWAP_BUILD / "MerkleDistributor.json"))
               if not there.exists()] + [tool for tool in ("curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: .ci/run installs them (README, the release walk-through)")
    block = readme_block()
    assert block.count("8545") >= 2 and block.count("8000") >= 2  # the ports this test moves
    script = block.replace("8545", str(free_port())).replace("8000", str(free_port()))
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the block's relative paths, from a repository root
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PORTAL_DATA_DIR", "PORTAL_PUBLIC_URL", "PORTAL_SNAPSHOTS",
                        "PORTAL_POLICY_ROOT", "PORTAL_EVM_RPC_URL", "PORTAL_TOKEN")}
    env["PATH"] = f"{FOUNDRY_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Output to files, not pipes: anvil and portal serve, started in the background by the block, keep
    # what they inherited open after the block ends.
    out_path, err_path = tmp_path / "walkthrough.out", tmp_path / "walkthrough.err"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        process = subprocess.Popen(["bash", "-e", "-c", script], cwd=tmp_path, env=env, stdout=out_file,
                                   stderr=err_file, text=True, start_new_session=True)
        try:
            process.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):  # the background ones, and bash if it hangs
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    out, err = out_path.read_text(), err_path.read_text()
    assert process.returncode == 0, f"the walk-through failed or hung ({process.returncode}):\n{out}\n{err[-3000:]}"
    lines = out.splitlines()
    assert "approved" in lines
    released = next(line for line in lines if line.startswith('{"destination_chain":"evm","number":1'))
    amount = released.split('"total":"', 1)[1].split('"', 1)[0]
    assert any(line.split(" ", 1)[0] == amount for line in lines), "the destination did not receive the amount"
    claimed = [line for line in lines if line.startswith("Claimed on ")]
    assert claimed and "in transaction 0x" in claimed[-1] and "went to your destination" in claimed[-1]
    demo_pg = tmp_path / ".portal-demo" / "pg" / "postmaster.pid"
    for _ in range(60):
        if not demo_pg.exists():
            break
        time.sleep(0.5)
    assert not demo_pg.exists(), "the demo's embedded PostgreSQL was left running"
