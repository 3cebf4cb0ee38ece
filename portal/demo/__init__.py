"""Demo data for ``portal serve --demo``: small holder lists that include well-known TEST keys.

The EVM list starts with the ten accounts of the public Hardhat/Anvil test mnemonic
("test test ... junk"); the Solana list starts with five keys derived from the public seeds
``sha256("migration-portal DEMO solana key <i>")``. Their private keys are public knowledge:
they exist so a person can try the proof flow by hand, and must never hold real funds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from importlib import resources
from pathlib import Path

import snapshot
from policy.demo import make_demo_bundle
from policy.document import parse_document
from policy.signatures import dump_signatures
from portal.domain import policies
from portal.store import policies as policy_store
from portal.store.database import Database

DEMO_LISTS = {"demo-evm": "holders-evm.csv", "demo-solana": "holders-solana.csv"}


def build_demo_snapshots(out_dir: Path) -> list[Path]:
    """Build (idempotently: artifacts are content-addressed) the demo snapshots; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, filename in DEMO_LISTS.items():
        with resources.as_file(resources.files("portal.demo").joinpath(filename)) as source:
            manifest = snapshot.build_artifact(Path(source), out_dir, name=name)
        paths.append(Path(manifest.path))
    return paths


def publish_demo_policy(database_url: str, data_dir: Path, *, public_url: str, now: dt.datetime) -> Path:
    """Sign the demo policy with two fresh DEMO keys (a 2-of-2 root), publish it, return the root's path.

    Each start makes new keys, so each start publishes the next version of the demo policy under a
    new root; the keys are never written anywhere. The root and signatures are written beside the
    data so ``portal policy verify`` can be tried on them.
    """
    template = resources.files("portal.demo").joinpath("policy", "official.md").read_text(encoding="utf-8")

    async def publish() -> Path:
        db = await Database.open(database_url, size=1)
        try:
            async with db.transaction() as conn:
                latest = await policy_store.latest(conn, "official")
            version, prev = (1, "") if latest is None else (latest.version + 1, latest.sha256)
            if latest is not None and parse_document(latest.document).version != latest.version:
                raise RuntimeError("stored demo policy is inconsistent")
            bundle = make_demo_bundle(template, public_url=public_url, now=now, version=version, prev=prev)
            out = data_dir / "demo-policy"
            out.mkdir(parents=True, exist_ok=True)
            (out / "root.toml").write_bytes(bundle.root.raw)
            dump_signatures(out / "root.sig.json", bundle.root_signatures)
            (out / "official.md").write_bytes(bundle.document.raw)
            dump_signatures(out / "official.md.sig.json", bundle.signatures)
            await policies.publish(db, document_text=bundle.document.raw.decode(), signatures=bundle.signatures,
                                   root=bundle.root, actor="demo", client=None, now=now)
            return out / "root.toml"
        finally:
            await db.close()

    return asyncio.run(publish())
