"""Issues 2 and 14: GET /v1/eligibility/{address} throughput against GET /health on the same server,
and (issue 14) what a CDN's revalidation costs: the same lookups sent with ``If-None-Match`` (the
answer's current ETag), answered 304 with no body, against full answers in the same run.

For each ASGI server (granian, uvicorn) start ``portal serve`` on loopback with a snapshot of
random EVM holders, then alternate wrk runs of /health and of eligibility lookups (random holders,
response includes the proof) at 64 connections. Prints medians of the repeats and the ratio.

    python benchmarks/http_eligibility.py [--entries 1000000] [--seconds 8] [--repeats 3] [--addresses 10000]

``--addresses 1`` asks for one holder over and over (everything in cache): the gap between that and
the default shows what random reads into a large artifact cost under load.

Both routes are driven by the same kind of wrk Lua script (one wrk thread, the server gets the
other core), so the client's own cost does not favour either. Needs ``wrk`` (Debian package).
Traffic goes to 127.0.0.1 only; every run is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_server
from eth_utils import to_checksum_address

import snapshot
from portal.domain.eligibility import SnapshotSet
from portal.http.fast.encoded_json import strong_etag

WORK = Path(__file__).resolve().parent / ".work"


def make_snapshot(entries: int, addresses_wanted: int) -> tuple[Path, list[str]]:
    WORK.mkdir(exist_ok=True)
    source = WORK / f"http-holders-{entries}.csv"
    rng = random.Random(2)
    addresses = [to_checksum_address(rng.randbytes(20)) for _ in range(min(entries, 50_000))]
    if not source.exists():
        with source.open("w") as out:
            out.write("address,amount\n")
            for i in range(entries):
                address = addresses[i] if i < len(addresses) else "0x" + rng.randbytes(20).hex()
                out.write(f"{address},{rng.randrange(1, 10**24)}\n")
    manifest = snapshot.build_artifact(source, WORK / "snapshots")
    return Path(manifest.path), addresses[:addresses_wanted]


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> tuple[float, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "2s"]
    if script:
        args += ["-s", str(script)]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True,
                            timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99_text = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    value, unit = float(p99_text.group(1)), p99_text.group(2)  # type: ignore[union-attr]
    p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} non-2xx responses from {url}")
    return rps, p99_ms


def lua_script(name: str, paths_list: list[str], etags: list[str] | None = None) -> Path:
    """A request generator cycling through ``paths_list``; every route uses one, so wrk's own cost is
    alike. With ``etags`` each request carries ``If-None-Match`` with its path's ETag."""
    script = WORK / f"{name}.lua"
    paths = ",".join(f'"{p}"' for p in paths_list)
    if etags is None:
        script.write_text(
            f"local paths = {{{paths}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
        )
    else:
        tags = ",".join("'" + tag + "'" for tag in etags)
        script.write_text(
            f"local paths = {{{paths}}}\nlocal etags = {{{tags}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n  local k = (i % #paths) + 1\n"
            "  return wrk.format('GET', paths[k], {['If-None-Match'] = etags[k]})\nend\n"
        )
    return script


def current_etags(artifact: Path, addresses: list[str]) -> list[str]:
    """The ETags the server sends for these addresses (same artifact, no destinations), computed here."""
    snapshots = SnapshotSet.open([artifact])
    try:
        return [strong_etag(snapshots.etag_key, snapshots.eligibility_json(a)).decode() for a in addresses]
    finally:
        snapshots.close()


def check_304(base: str, path: str, etag: str) -> None:
    request = urllib.request.Request(base + path, headers={"If-None-Match": etag})  # noqa: S310 - loopback
    try:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - loopback
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return
        raise
    raise RuntimeError(f"{path}: expected 304 for its ETag")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--servers", default="granian,uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--addresses", type=int, default=10_000, help="distinct holders asked for (<= 50000)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    artifact, addresses = make_snapshot(args.entries, max(1, min(args.addresses, 50_000)))
    paths = [f"/v1/eligibility/{a}" for a in addresses]
    script = lua_script("eligibility", paths)
    etags = current_etags(artifact, addresses)
    revalidate_script = lua_script("eligibility-304", paths, etags)
    health_script = lua_script("health", ["/health"] * len(addresses))
    print(f"snapshot: {args.entries} entries, {len(addresses)} distinct holders asked for; "
          f"{args.connections} connections; {args.seconds}s x {args.repeats}")
    for server in args.servers.split(","):
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as data_dir, \
                portal_server(Path(data_dir), [artifact], server=server, workers=args.workers,
                              env={"PORTAL_RATE_LIMIT_PER_MINUTE": "0"}) as base:
            wrk(base + "/", 2, args.connections, health_script)  # warm-up
            wrk(base + "/", 2, args.connections, script)
            check_304(base, paths[0], etags[0])
            health, eligibility, revalidated = [], [], []
            for _ in range(args.repeats):
                health.append(wrk(base + "/", args.seconds, args.connections, health_script))
                eligibility.append(wrk(base + "/", args.seconds, args.connections, script))
                revalidated.append(wrk(base + "/", args.seconds, args.connections, revalidate_script))
        h_rps = statistics.median(r for r, _ in health)
        e_rps = statistics.median(r for r, _ in eligibility)
        pairs = sorted(e / h for (h, _), (e, _) in zip(health, eligibility, strict=True))
        print(f"{server:8s} workers={args.workers} /health {h_rps:8.0f} req/s p99 "
              f"{statistics.median(p for _, p in health):6.2f} ms | /v1/eligibility {e_rps:8.0f} req/s p99 "
              f"{statistics.median(p for _, p in eligibility):6.2f} ms | ratio {e_rps / h_rps:.2f} (target >= 0.75); "
              f"per back-to-back pair: median {statistics.median(pairs):.2f}, range {pairs[0]:.2f}-{pairs[-1]:.2f}")
        r_rps = statistics.median(r for r, _ in revalidated)
        r_pairs = sorted(r / e for (e, _), (r, _) in zip(eligibility, revalidated, strict=True))
        r_p99 = statistics.median(p for _, p in revalidated)
        print(f"{server:8s} 304 revalidation {r_rps:8.0f} req/s p99 {r_p99:6.2f} ms"
              f" | full answers {e_rps:8.0f} req/s | ratio 304/full {r_rps / e_rps:.2f}; per back-to-back pair: "
              f"median {statistics.median(r_pairs):.2f}, range {r_pairs[0]:.2f}-{r_pairs[-1]:.2f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
