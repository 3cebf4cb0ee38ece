"""Issue 2: CSV -> verified artifact for N random entries, against OpenZeppelin's StandardMerkleTree.of.

    python benchmarks/snapshot_build.py [--entries 1000000] [--repeats 3] [--no-node]

Builds the same values with ``@openzeppelin/merkle-tree`` under node once (when node is present and
--no-node is not given; installed into ~/.cache/migration-portal-oz), checks the roots are equal,
and prints the median build time, the ratio to node's time, and the peak RSS of each build (each
build runs in a fresh child process so its peak RSS is its own).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from snapshot.addresses import to_checksum_address

WORK = Path(__file__).resolve().parent / ".work"
OZ_DIR = Path.home() / ".cache" / "migration-portal-oz"
NODE_SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const fs = require("fs");
const lines = fs.readFileSync(process.argv[2], "utf8").trim().split("\\n").slice(1);
const values = lines.map((l) => l.split(","));
const t0 = process.hrtime.bigint();
const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ root: tree.root, seconds, rss: process.memoryUsage().rss }));
"""
CHILD = """
import json, resource, sys, time
from pathlib import Path
import snapshot
t0 = time.perf_counter()
m = snapshot.build_artifact(Path(sys.argv[1]), Path(sys.argv[2]))
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "root": m.merkle_root, "peak_rss_kib": peak}))
"""


def make_list(entries: int) -> Path:
    """Random holders with EIP-55 checksummed addresses (what exports contain; the build checks them)."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"holders-eip55-{entries}.csv"
    if not path.exists():
        rng = random.Random(1)
        with path.open("w") as out:
            out.write("address,amount\n")
            for _ in range(entries):
                out.write(f"{to_checksum_address(rng.randbytes(20))},{rng.randrange(1, 10**27)}\n")
    return path


def run_node(source: Path) -> dict | None:
    if not shutil.which("node"):
        return None
    if not (OZ_DIR / "node_modules" / "@openzeppelin" / "merkle-tree").exists():
        OZ_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(OZ_DIR), "@openzeppelin/merkle-tree@1.0.8"],
                       check=True, timeout=300)
    script = OZ_DIR / "bench.js"
    script.write_text(NODE_SCRIPT)
    out = subprocess.run(["node", "--max-old-space-size=8192", str(script), str(source)], capture_output=True,
                         text=True, check=True, timeout=900, cwd=OZ_DIR).stdout
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-node", action="store_true")
    args = parser.parse_args()
    source = make_list(args.entries)
    builds = []
    for _ in range(args.repeats):
        out_dir = WORK / "build-out"
        shutil.rmtree(out_dir, ignore_errors=True)
        result = subprocess.run([sys.executable, "-c", CHILD, str(source), str(out_dir)], capture_output=True,
                                text=True, check=True)
        builds.append(json.loads(result.stdout))
        print(f"  build: {builds[-1]['seconds']:.2f} s, peak RSS {builds[-1]['peak_rss_kib'] / 1024:.0f} MiB",
              flush=True)
    median = statistics.median(b["seconds"] for b in builds)
    peak = max(b["peak_rss_kib"] for b in builds) / 1024
    print(f"python build (CSV -> verified artifact), {args.entries} entries: median {median:.2f} s, "
          f"peak RSS {peak:.0f} MiB (target <= 1024)")
    node = None if args.no_node else run_node(source)
    if node is None:
        print("node: skipped (absent or --no-node); target is <= 0.06 x StandardMerkleTree.of")
        return 0
    same = node["root"] == builds[0]["root"]
    print(f"node StandardMerkleTree.of: {node['seconds']:.1f} s, RSS {node['rss'] / 2**20:.0f} MiB, "
          f"same root: {same}")
    print(f"ratio python/node: {median / node['seconds']:.3f} (target <= 0.06)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
