"""The vendored @noble bundle is the file its SHA256SUMS and the README name, and the page imports it."""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "portal" / "http" / "static" / "vendor" / "noble" / "noble.js"


def test_bundle_hash_matches_sums_and_readme() -> None:
    digest = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()
    assert (BUNDLE.parent / "SHA256SUMS").read_text().split() == [digest, "noble.js"]
    assert digest in (ROOT / "README.md").read_text()
    lock = (ROOT / "portal" / "http" / "vendor_src" / "noble" / "package-lock.json").read_text()
    assert '"node_modules/@noble/curves"' in lock and '"node_modules/@noble/hashes"' in lock


def test_verifier_imports_the_bundle_and_nothing_else() -> None:
    source = (ROOT / "portal" / "http" / "static" / "js" / "policy-verify.js").read_text()
    imports = [line for line in source.splitlines() if line.startswith("import ")]
    assert imports == ['import { keccak_256, secp256k1, sha256 } from "../vendor/noble/noble.js";']
