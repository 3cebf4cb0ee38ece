"""Issue 2: artifact open time, in-process lookup + proof latency, anonymous memory growth.

    python benchmarks/snapshot_lookup.py [--entries 1000000] [--lookups 100000] [--rounds 3]

Uses the artifact built by snapshot_build.py (or builds it). Open is timed cold in a child process
(median of 5). Lookups are random present addresses, each including its proof, in rounds of
``--lookups``; RssAnon (private anonymous memory, not the shared file mapping) is read from
/proc/self/status before the first round, after it, and after the last.
"""

from __future__ import annotations

import argparse
import array
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from snapshot_build import WORK, make_list

import snapshot
from snapshot.addresses import to_checksum_address

OPEN_CHILD = """
import sys, time
t0 = time.perf_counter()
import snapshot
t1 = time.perf_counter()
s = snapshot.Snapshot.open(sys.argv[1])
print((time.perf_counter() - t1) * 1000)
"""


def rss_anon_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise RuntimeError("no RssAnon")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    source = make_list(args.entries)
    manifest = snapshot.build_artifact(source, WORK / "lookup-out")
    opens = [float(subprocess.run([sys.executable, "-c", OPEN_CHILD, manifest.path], capture_output=True,
                                  text=True, check=True).stdout) for _ in range(5)]
    print(f"open: median {statistics.median(opens):.3f} ms over 5 cold processes (target <= 50 ms)")
    lines = source.read_text().splitlines()[1:]
    rng = random.Random(3)
    sample = [snapshot.parse_address(to_checksum_address(bytes.fromhex(line[2:42])))
              for line in rng.sample(lines, 20_000)]
    del lines
    opened = snapshot.Snapshot.open(manifest.path)
    for address in sample[:1000]:
        opened.lookup(address)
    timings = array.array("q", bytes(8 * args.lookups))  # allocated before the RssAnon baseline
    clock = time.perf_counter_ns
    before = rss_anon_kib()

    def lookup_entry(address: snapshot.Address) -> object:
        """``Snapshot.lookup``: the entry with its proof as a list of hex strings."""
        return opened.lookup(address)

    def lookup_json(address: snapshot.Address) -> object:
        """What the HTTP answer uses: record found through the bucket table, proof as JSON bytes."""
        number = opened.find(address.raw)
        return None if number < 0 else opened.proof_json(opened.value_at(number)[1])

    results = {}
    for name, lookup in (("lookup", lookup_entry), ("lookup_json", lookup_json)):
        rounds = []
        for round_number in range(args.rounds):
            for i in range(args.lookups):
                address = sample[(i * 7 + round_number) % len(sample)]
                t0 = clock()
                entry = lookup(address)
                timings[i] = clock() - t0
                assert entry is not None
            if round_number == 0 and name == "lookup":
                after_first = rss_anon_kib()
            ordered = sorted(timings)
            rounds.append({"median_us": round(ordered[len(ordered) // 2] / 1000, 2),
                           "p99_us": round(ordered[int(len(ordered) * 0.99)] / 1000, 2)})
            del ordered
        results[name] = rounds
    after_all = rss_anon_kib()
    print(json.dumps({
        "entries": manifest.entries,
        "open_ms_median": round(statistics.median(opens), 3),
        "lookups_per_round": args.lookups,
        "rounds": results,
        "lookup_with_proof_median_us": statistics.median(r["median_us"] for r in results["lookup"]),
        "lookup_json_median_us": statistics.median(r["median_us"] for r in results["lookup_json"]),
        "rss_anon_growth_mib_after_first_round": round((after_first - before) / 1024, 2),
        "rss_anon_growth_mib_after_all_rounds_of_both": round((after_all - before) / 1024, 2),
        "targets": {"open_ms": 50, "median_us": 20, "rss_anon_growth_mib": 32},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
