"""Fresh random lists (not in the repo) against @openzeppelin/merkle-tree itself, when node is here.

Skips, saying why, when node/npm are absent or the package cannot be installed (no registry).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

import snapshot
from snapshot.addresses import b58encode

CACHE = Path.home() / ".cache" / "migration-portal-oz"
SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = input.map(({ encoding, values }) => {
  const tree = StandardMerkleTree.of(values, encoding);
  const proofs = {};
  for (const [i, v] of tree.entries()) proofs[v[0]] = tree.getProof(i);
  return { root: tree.root, proofs };
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def oz_node() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed: cross-check against @openzeppelin/merkle-tree skipped")
    if not (CACHE / "node_modules" / "@openzeppelin" / "merkle-tree").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE),
                                 "@openzeppelin/merkle-tree@1.0.8"], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            pytest.skip(f"cannot install @openzeppelin/merkle-tree: {result.stderr.strip()[:200]}")
    script = CACHE / "oz.js"
    script.write_text(SCRIPT)
    return script


def test_random_lists_match_openzeppelin(oz_node: Path, tmp_path: Path) -> None:
    rng = random.Random()
    cases = []
    for chain, size in [("evm", 1), ("evm", 2), ("evm", 77), ("solana", 3), ("solana", 64)]:
        raws = {rng.randbytes(20 if chain == "evm" else 32) for _ in range(size)}
        rows = [(raw, rng.randrange(1, 2**256)) for raw in raws]
        cases.append((chain, rows))
    request = [{"encoding": ["address" if chain == "evm" else "bytes32", "uint256"],
                "values": [["0x" + raw.hex(), str(amount)] for raw, amount in rows]} for chain, rows in cases]
    result = subprocess.run(["node", str(oz_node)], input=json.dumps(request), capture_output=True, text=True,
                            check=True, timeout=60, cwd=CACHE)
    expected = json.loads(result.stdout)
    for (chain, rows), oz in zip(cases, expected, strict=True):
        source = tmp_path / f"{chain}-{len(rows)}.csv"
        texts = [snapshot.parse_address("0x" + raw.hex() if chain == "evm" else b58encode(raw)).text
                 for raw, _ in rows]
        source.write_text("address,amount\n" + "".join(f"{t},{a}\n" for t, (_, a) in zip(texts, rows, strict=True)))
        manifest = snapshot.build_artifact(source, tmp_path / "out")
        assert manifest.merkle_root == oz["root"]
        with snapshot.Snapshot.open(manifest.path) as opened:
            for text, (raw, _) in zip(texts, rows, strict=True):
                entry = opened.lookup(snapshot.parse_address(text))
                assert entry is not None
                oz_key = "0x" + raw.hex()
                assert entry.proof == oz["proofs"][oz_key], text
