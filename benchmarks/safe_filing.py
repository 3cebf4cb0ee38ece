"""Issue 26: a Safe's owners' signatures, from the threshold met to the request filed: time and RPC calls.

In process: the app (``create_app``) over a Litestar test client, the embedded PostgreSQL (migrated), and
Safe v1.4.1's own contracts (``tests/tools/safe``, npm, test-only) on web3's ``EthereumTesterProvider`` as the
EVM node, every RPC counted by the ``Web3Chain`` ``on_call`` hook. For each of ``--safes`` 2-of-3 Safes: a
``safe`` challenge, the first owner's signature (below the threshold: stored, no RPC for ECDSA), then the
second owner's, which meets the threshold: the Safe's ``isValidSignature`` at the recorded block, then the
request, evidence and audit event in one transaction. Prints the medians (and p90) of both signatures and the
RPC calls each made, per method; issuing (which reads the Safe at a block) is measured beside them.

    python benchmarks/safe_filing.py [--safes 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _stats import percentile_ms as percentile
from eth_account import Account
from litestar.testing import TestClient

import snapshot
from portal.app import create_app
from portal.domain.proofs.chain import Web3Chain
from portal.settings import Settings
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate
from tests.chains.safe import SafeKit, owners

DESTINATION = "0x1111111111111111111111111111111111111111"


def signature(account, typed: dict) -> str:
    return "0x" + bytes(Account.sign_typed_data(account.key, full_message=typed).signature).hex()


def run(safes: int, work: Path, url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
    kit = SafeKit(w3)
    a, b, c = owners(0x51, 0x52, 0x53)
    addresses = [kit.create([a.address, b.address, c.address], 2, salt=i) for i in range(safes)]
    source = work / "safes.csv"
    source.write_text("address,amount\n" + "".join(f"{address},1000\n" for address in addresses))
    manifest = snapshot.build_artifact(source, work / "snap")
    calls: list[str] = []
    chain = Web3Chain(w3, on_call=lambda method, seconds: calls.append(method))
    settings = Settings(database_url=url, snapshots=(manifest.path,), public_url="https://portal.example.org",
                        rate_limit_per_minute=0, evm_chain_id=w3.eth.chain_id,
                        audit_checkpoint_file=str(work / "audit-checkpoints.jsonl"))
    timings: dict[str, list[float]] = {"issue": [], "below": [], "filed": []}
    rpc: dict[str, Counter[str]] = {name: Counter() for name in timings}
    with TestClient(app=create_app(settings, evm_chain=chain)) as client:
        for address in addresses:
            calls.clear()
            started = time.perf_counter()
            body = client.post("/v1/challenges", json={"address": address, "destination": DESTINATION,
                                                       "method": "safe"}).json()
            timings["issue"].append(time.perf_counter() - started)
            rpc["issue"].update(calls)
            path = f"/v1/challenges/{body['challenge_id']}/signatures"
            for name, owner in (("below", a), ("filed", b)):
                text = signature(owner, body["typed_data"])  # signing is the owner's work, not the server's
                calls.clear()
                started = time.perf_counter()
                answer = client.post(path, json={"signature": text})
                timings[name].append(time.perf_counter() - started)
                rpc[name].update(calls)
                assert answer.status_code == 200, answer.text
            assert answer.json()["request"]["status"] == "pending_review"
    print(f"{safes} Safes (2 of 3, v1.4.1), EthereumTesterProvider, embedded PostgreSQL, in-process client")
    labels = {"issue": "issue the challenge (read the Safe at a block)",
              "below": "first owner's signature (below the threshold)",
              "filed": "second owner's signature: threshold met -> request filed"}
    for name, label in labels.items():
        values = timings[name]
        per_call = {method: count / safes for method, count in sorted(rpc[name].items())}
        print(f"{label}: median {statistics.median(values) * 1000:.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
              f"RPC calls each: {sum(per_call.values()):g} {per_call}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, embedded_postgres(data_dir) as url:
        migrate(url)
        run(args.safes, Path(data_dir), url)


if __name__ == "__main__":
    main()
