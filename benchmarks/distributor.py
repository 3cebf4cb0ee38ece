"""Issue 14: the distributor tree at a million Solana holders, against our OZ tree of the same list.

    python benchmarks/distributor.py [--entries 1000000] [--repeats 3] [--lookups 100000]
                                     [--skip-static]

1. build: CSV -> verified artifact, ``--tree oz`` and ``--tree distributor`` of one Solana list,
   alternated (oz, distributor, oz, ...), each in a fresh child process so its peak RSS is its own;
   prints medians, the ratio distributor/oz per back-to-back pair (target <= 1.2) and peak RSS
   (target <= 1 GiB).
2. lookup: in-process lookup + proof of random present holders in the distributor artifact, as
   ``Snapshot.lookup`` (list of hex) and as the HTTP answer uses it (``proof_json``); median and
   p99 (target <= 20 us median), against the OZ artifact of the same list in the same run.
3. export-static: every holder's eligibility answer as files (time, files, bytes, and the disk
   the folder takes), then as KV lines; the output is deleted afterwards.
"""

from __future__ import annotations

import argparse
import array
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import snapshot
from snapshot.addresses import b58encode

WORK = Path(__file__).resolve().parent / ".work"
CHILD = """
import json, resource, sys, time
from pathlib import Path
import snapshot
t0 = time.perf_counter()
m = snapshot.build_artifact(Path(sys.argv[1]), Path(sys.argv[2]), tree=sys.argv[3], decimals=9)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "root": m.merkle_root, "path": m.path, "peak_rss_kib": peak}))
"""
STATIC_CHILD = """
import json, sys, time
from pathlib import Path
from portal.domain import static_export
from portal.domain.eligibility import SnapshotSet
snapshots = SnapshotSet.open([sys.argv[1]])
t0 = time.perf_counter()
write = static_export.write_kv if sys.argv[3] == "kv" else static_export.write_files
summary = write(snapshots, Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t0, "entries": summary.entries, "bytes": summary.bytes}))
"""


def make_list(entries: int) -> Path:
    """Random Solana holders with u64 amounts (a list whose claim happens on Solana)."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"holders-solana-{entries}.csv"
    if not path.exists():
        rng = random.Random(14)
        with path.open("w") as out:
            out.write("address,amount\n")
            for _ in range(entries):
                out.write(f"{b58encode(rng.randbytes(32))},{rng.randrange(1, 10**12)}\n")
    return path


def build(source: Path, tree: str) -> dict:
    out_dir = WORK / f"distributor-bench-{tree}"
    shutil.rmtree(out_dir, ignore_errors=True)
    result = subprocess.run([sys.executable, "-c", CHILD, str(source), str(out_dir), tree], capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def lookups(path: str, sample: list[snapshot.Address], count: int) -> dict:
    opened = snapshot.Snapshot.open(path)
    for address in sample[:1000]:
        opened.lookup(address)
    timings = array.array("q", bytes(8 * count))
    clock = time.perf_counter_ns
    results = {}
    for name in ("lookup", "lookup_json"):
        for i in range(count):
            address = sample[(i * 7) % len(sample)]
            t0 = clock()
            if name == "lookup":
                found = opened.lookup(address)
            else:
                number = opened.find(address.raw)
                found = opened.proof_json(opened.value_at(number)[1])
            timings[i] = clock() - t0
            assert found is not None
        ordered = sorted(timings)
        results[name] = {"median_us": round(ordered[len(ordered) // 2] / 1000, 2),
                         "p99_us": round(ordered[int(len(ordered) * 0.99)] / 1000, 2)}
    opened.close()
    return results


def export_static(path: str, out: Path, form: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True) if out.is_file() else None
    result = subprocess.run([sys.executable, "-c", STATIC_CHILD, path, str(out), form], capture_output=True,
                            text=True, check=True)
    figures = json.loads(result.stdout)
    usage = subprocess.run(["du", "-sb" if form == "kv" else "-s", "--block-size=1", str(out)], capture_output=True,
                           text=True, check=True).stdout.split()[0]
    figures["disk_bytes"] = int(usage)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--skip-static", action="store_true")
    args = parser.parse_args()
    source = make_list(args.entries)
    print(f"list: {args.entries} Solana holders, {source.stat().st_size / 2**20:.0f} MiB CSV", flush=True)
    runs: dict[str, list[dict]] = {"oz": [], "distributor": []}
    for _ in range(args.repeats):
        for tree in ("oz", "distributor"):
            runs[tree].append(build(source, tree))
            print(f"  {tree:11s} {runs[tree][-1]['seconds']:6.2f} s, peak RSS "
                  f"{runs[tree][-1]['peak_rss_kib'] / 1024:.0f} MiB", flush=True)
    medians = {tree: statistics.median(r["seconds"] for r in runs[tree]) for tree in runs}
    pairs = sorted(d["seconds"] / o["seconds"] for o, d in zip(runs["oz"], runs["distributor"], strict=True))
    peak = {tree: max(r["peak_rss_kib"] for r in runs[tree]) / 1024 for tree in runs}
    print(f"build CSV -> verified artifact: oz median {medians['oz']:.2f} s (peak {peak['oz']:.0f} MiB), "
          f"distributor median {medians['distributor']:.2f} s (peak {peak['distributor']:.0f} MiB); "
          f"ratio distributor/oz {medians['distributor'] / medians['oz']:.2f} (target <= 1.2), per pair median "
          f"{statistics.median(pairs):.2f}, range {pairs[0]:.2f}-{pairs[-1]:.2f}; RSS target <= 1024 MiB", flush=True)
    rng = random.Random(3)
    lines = source.read_text().splitlines()[1:]
    sample = [snapshot.parse_address(line.split(",", 1)[0]) for line in rng.sample(lines, 20_000)]
    del lines
    figures = {tree: lookups(runs[tree][-1]["path"], sample, args.lookups) for tree in ("oz", "distributor")}
    print(f"lookup + proof in process ({args.lookups} random holders): {json.dumps(figures)} "
          "(target <= 20 us median)", flush=True)
    if not args.skip_static:
        artifact = runs["distributor"][-1]["path"]
        for form, out in (("files", WORK / "static-export"), ("kv", WORK / "static-export.jsonl")):
            result = export_static(artifact, out, form)
            print(f"export-static --format {form}: {result['seconds']:.1f} s, {result['entries']} answers, "
                  f"{result['bytes'] / 2**20:.0f} MiB written, {result['disk_bytes'] / 2**20:.0f} MiB on disk",
                  flush=True)
            if out.is_dir():
                shutil.rmtree(out)
            else:
                out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
