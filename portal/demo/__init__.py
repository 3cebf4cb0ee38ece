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
from snapshot.from_chain import ExcludeList

DEMO_LISTS = {"demo-evm": "holders-evm.csv", "demo-solana": "holders-solana.csv"}
#: The addresses each demo list leaves out on purpose, recorded in its artifact's ``source``.
DEMO_EXCLUDES = {"demo-evm": ("evm", "exclude-evm.txt"), "demo-solana": ("solana", "exclude-solana.txt")}
DEMO_METHOD = "holder-list (DEMO)"


def demo_source(name: str) -> dict:
    """What a demo artifact says it was built from: a holder list by hand, and its exclude list."""
    chain, filename = DEMO_EXCLUDES[name]
    with resources.as_file(resources.files("portal.demo").joinpath(filename)) as path:
        exclude = ExcludeList.read(Path(path), chain)  # type: ignore[arg-type]
    return {"chain": chain, "method": DEMO_METHOD, "block_time": None, "exclude_sha256": exclude.sha256,
            "exclude_entries": exclude.recorded()}


def build_demo_snapshots(out_dir: Path) -> list[Path]:
    """Build (idempotently: artifacts are content-addressed) the demo snapshots; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, filename in DEMO_LISTS.items():
        with resources.as_file(resources.files("portal.demo").joinpath(filename)) as source:
            manifest = snapshot.build_artifact(Path(source), out_dir, name=name, source=demo_source(name))
        paths.append(Path(manifest.path))
    return paths

