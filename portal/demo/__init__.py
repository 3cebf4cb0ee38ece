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

#: Each demo list and its token's decimals, declared as a real deployment's ``--decimals`` does, so the
#: demo shows amounts in tokens (1,000 tokens, not 1000000000000000000000 base units).
DEMO_LISTS = {"demo-evm": ("holders-evm.csv", 18), "demo-solana": ("holders-solana.csv", 9)}
#: The new token on each destination chain (``PORTAL_DESTINATIONS_FILE``): its decimals and the ratio.
DEMO_DESTINATIONS = '[evm]\ndecimals = 18\nratio = "1/1"\n\n[solana]\ndecimals = 9\nratio = "1/1"\n'
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


def build_demo_snapshots(out_dir: Path, *, declare_decimals: bool = True) -> list[Path]:
    """Build (idempotently: artifacts are content-addressed) the demo snapshots; return their paths.

    ``declare_decimals=False`` builds the same lists with no decimals in their manifests: the test suite's
    shared snapshots, whose tests count base units (the demo itself always declares them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (filename, decimals) in DEMO_LISTS.items():
        with resources.as_file(resources.files("portal.demo").joinpath(filename)) as source:
            manifest = snapshot.build_artifact(Path(source), out_dir, name=name, source=demo_source(name),
                                               decimals=decimals if declare_decimals else None)
        paths.append(Path(manifest.path))
    return paths


def write_demo_destinations(data_dir: Path) -> Path:
    """The demo's destinations file (``DEMO_DESTINATIONS``) in its own data directory; its path."""
    path = data_dir / "destinations.toml"
    path.write_text(DEMO_DESTINATIONS)
    return path

