"""Issue 21: ``portal release prepare`` + ``publish`` of a release of 100,000 approvals: time and peak memory.

A real ``portal serve`` process on loopback against the embedded PostgreSQL, with a 2-of-2 trust
root made here. ``--approvals`` approved requests to EVM destinations are seeded BY SQL (one
INSERT ... SELECT generate_series; approving is not what is measured). Then, as an operator runs
them, each a ``python -m portal`` process: ``release prepare`` (reads the approvals, converts,
builds the uniswap tree, writes the document and entries file), ``release distributor``, two
signatures (in this process, as a wallet would), ``release publish`` (the server verifies the
signatures, re-hashes the entries, rebuilds the root, matches every source to an approval and
stores the release and its 100,000 request links). Time is wall time of each command (publish's is
the server's whole verification); memory is the peak RSS of the prepare process, of the publish
client and of the server. Exits 1 when prepare + publish is over 10 s or any peak over 500 MiB.

    python benchmarks/release_prepare.py [--approvals 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import portal_process

from policy.release import parse_release, release_statement
from policy.signatures import Signature, dump_signatures, sig_path
from policy.statement import sign_statement
from portal.demo import build_demo_snapshots, write_demo_destinations
from portal.domain import staff
from portal.domain.context import utc_now
from portal.domain.eligibility import SnapshotSet
from portal.store.database import Database
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate
from tests.integration.staff_helpers import audit_chain_key

TARGET_SECONDS = 10.0
TARGET_MIB = 500

SEED_SQL = """
WITH ids AS (
    SELECT i, gen_random_uuid() AS challenge_id, gen_random_uuid() AS request_id,
           '0x' || lpad(to_hex(i), 40, '0') AS address,
           '0x' || lpad(to_hex(i + 1000000000), 40, 'a') AS destination,
           now() - interval '1 hour' + i * interval '1 millisecond' AS created_at
    FROM generate_series(1, %(count)s) AS i
), challenges_in AS (
    INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, destination_chain,
                            amount, nonce, message, issued_at, expires_at, used_at, client_address)
    SELECT challenge_id, 'eip191', 'evm', %(snapshot_id)s, address, destination, 'evm', 1000 + i, md5(i::text),
           'bench', created_at, created_at + interval '15 minutes', created_at, '198.51.100.1'
    FROM ids
)
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, destination_chain,
                      amount, method, message, proof, recovered_signer, status_token_hash, status, created_at,
                      updated_at)
SELECT request_id, challenge_id, %(snapshot_id)s, address, 'evm', destination, 'evm', 1000 + i, 'eip191', 'bench',
       '0x', address, sha256(request_id::text::bytea), 'approved', created_at, created_at
FROM ids
"""


async def publisher_key(url: str) -> str:
    db = await Database.open(url, size=1, audit_chain_key=audit_chain_key())
    try:
        async with db.transaction() as conn:
            return (await staff.create_key(conn, name="bench-publisher", role="publisher", actor="bench",
                                           at=utc_now())).token
    finally:
        await db.close()


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``python -m portal *args``: wall seconds, CPU seconds (user + system), peak RSS in bytes and
    stdout, from the process's own rusage (``wait4``); raise when it fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: nothing can stall on a full buffer
        process = subprocess.Popen([sys.executable, "-m", "portal", *args], env=env, stdout=subprocess.PIPE,
                                   stderr=stderr)
        assert process.stdout is not None
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        stderr.seek(0)
        err = stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"portal {' '.join(args)} exited {process.returncode}: {err.decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out.decode()


def tree_peak(pid: int) -> int:
    """The largest VmHWM among ``pid`` and its children (the server may run a worker process)."""
    peak = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) != pid and int(stat[1]) != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, IndexError, ValueError):
            continue
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approvals", type=int, default=100_000)
    args = parser.parse_args()
    keys = [Account.create(), Account.create()]
    mib = 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        data_dir = Path(tmp)
        snapshots = build_demo_snapshots(data_dir / "snapshots")
        snapshot_set = SnapshotSet.open([str(p) for p in snapshots], {})
        evm_id = next(m.id for m in snapshot_set.manifests if m.chain == "evm")
        snapshot_set.close()
        root = data_dir / "root.toml"
        signers = ", ".join(f'"{k.address}"' for k in keys)
        root.write_text(f"version = 1\nthreshold = 2\nexpires = 2099-01-01T00:00:00Z\nsigners = [{signers}]\n")
        with embedded_postgres(data_dir) as url:
            migrate(url)
            with psycopg.connect(url) as conn:
                conn.execute(SEED_SQL, {"count": args.approvals, "snapshot_id": evm_id})
            token = asyncio.run(publisher_key(url))
            env = {**os.environ, "DATABASE_URL": url, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_TOKEN": token,
                   "PORTAL_SNAPSHOTS": ",".join(str(p) for p in snapshots),
                   "PORTAL_DESTINATIONS_FILE": str(write_demo_destinations(data_dir)), "PYTHONPATH": os.pathsep.join(
                       [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])}
            server_env = {"PORTAL_DESTINATIONS_FILE": env["PORTAL_DESTINATIONS_FILE"],
                          "DATABASE_URL": url, "PORTAL_POLICY_ROOT": str(root), "PYTHONPATH": env["PYTHONPATH"]}
            with portal_process(data_dir, snapshots, env=server_env) as (base, server):
                doc = data_dir / "release-evm-1.md"
                startup_s, startup_cpu, _, _ = timed(["release", "--help"], env)
                prepare_s, prepare_cpu, prepare_rss, out = timed(
                    ["release", "prepare", "--destination-chain", "evm", "--out", str(doc)], env)
                prepared = json.loads(out)
                timed(["release", "distributor", str(doc), "0x5FbDB2315678afecb367f032d93F642f64180aa3"], env)
                line = release_statement(parse_release(doc.read_bytes()))
                dump_signatures(sig_path(doc), [Signature(k.address, sign_statement(line, k.key)) for k in keys])
                server_before = tree_peak(server.pid)
                publish_s, publish_cpu, publish_rss, _ = timed(["release", "publish", str(doc), "--url", base], env)
                server_peak = tree_peak(server.pid)
                entries_mib = (data_dir / "release-evm-1.entries.json").stat().st_size / mib
    total = prepare_s + publish_s
    peak = max(prepare_rss, publish_rss, server_peak)
    print(f"release of {prepared['entries']} entries (root {prepared['merkle_root'][:18]}…, entries file "
          f"{entries_mib:.1f} MiB)")
    print(f"prepare {prepare_s:.2f} s (CPU {prepare_cpu:.2f} s), publish {publish_s:.2f} s (client CPU "
          f"{publish_cpu:.2f} s), together {total:.2f} s wall (target <= {TARGET_SECONDS})")
    print(f"of which command start-up: `portal release --help` takes {startup_s:.2f} s (CPU {startup_cpu:.2f} s) "
          f"here, paid by each of the two commands; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"peak RSS: CLI processes {max(prepare_rss, publish_rss) / mib:.0f} MiB, server {server_peak / mib:.0f} MiB "
          f"(before publish {server_before / mib:.0f} MiB) (target <= {TARGET_MIB} MiB)")
    return 0 if total <= TARGET_SECONDS and peak <= TARGET_MIB * mib else 1


if __name__ == "__main__":
    sys.exit(main())
