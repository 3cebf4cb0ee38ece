"""Demo data for ``portal serve --demo``: small holder lists that include well-known TEST keys.

The EVM list starts with the ten accounts of the public Hardhat/Anvil test mnemonic
("test test ... junk"); the Solana list starts with five keys derived from the public seeds
``sha256("migration-portal DEMO solana key <i>")``. Their private keys are public knowledge:
they exist so a person can try the proof flow by hand, and must never hold real funds.
The demo's policy and its separation from real data live in ``demo_policy`` and ``guard``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import snapshot

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

