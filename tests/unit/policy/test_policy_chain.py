"""Verifying what a portal serves from one pinned root: rotations walked, every attack refused by name.

Real keys throughout. The "server" here is the lists a portal would serve; the end-to-end version
over HTTP is in tests/integration/test_policy_served.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account import Account

from policy import errors
from policy.chain import SeenPolicy, SeenState, ServedRoot, ServedVersion, verify_served
from policy.document import parse_document
from policy.root import parse_root, root_statement
from policy.signatures import Signature
from policy.statement import sign_statement, statement

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
OLD = [Account.create(), Account.create()]
NEW = [Account.create(), Account.create()]


def make_root(accounts: list, version: int, expires: str = "2028-01-01T00:00:00Z"):
    signers = ", ".join(f'"{a.address}"' for a in accounts)
    return parse_root(f"version = {version}\nthreshold = 2\nexpires = {expires}\nsigners = [{signers}]\n".encode())


def root_sigs(root, *accounts) -> list[Signature]:
    return [Signature(a.address, sign_statement(root_statement(root), a.key)) for a in accounts]


def make_doc(version: int, prev: str, body: str = ""):
    return parse_document(
        (f'+++\nslug = "official"\nversion = {version}\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
         f'expires = 2027-06-01T00:00:00Z\nprev = "{prev}"\n[[links]]\nlabel = "Portal"\n'
         f'url = "https://migrate.example.org/"\n+++\nWe never DM you.{body}\n').encode())


def served(doc, accounts, root_version: int) -> ServedVersion:
    return ServedVersion(doc, [Signature(a.address, sign_statement(statement(doc), a.key)) for a in accounts],
                         root_version)


ROOT1 = make_root(OLD, 1)
ROOT2 = make_root(NEW, 2)
ROTATION = [ServedRoot(ROOT2, root_sigs(ROOT2, *OLD, *NEW))]
V1 = make_doc(1, "")
V2 = make_doc(2, V1.sha256, " Second version.")
VERSIONS = [served(V1, OLD, 1), served(V2, NEW, 2)]


def test_third_party_path_walks_the_rotation() -> None:
    result = verify_served(ROOT1, ROTATION, VERSIONS, V2, now=NOW)
    assert result.ok and result.version == 2 and result.root_version == 2 and result.roots_walked == [1, 2]
    assert sorted(result.signers) == sorted(a.address for a in NEW)
    assert result.state == SeenState(2, ROOT2.sha256, {"official": SeenPolicy(2, V2.sha256)})


def test_a_tampered_byte_is_refused() -> None:
    raw = bytearray(V2.raw)
    raw[raw.index(b"never")] ^= 0x20  # "never" -> "Never"
    tampered = parse_document(bytes(raw))
    versions = [VERSIONS[0], ServedVersion(tampered, VERSIONS[1].signatures, 2)]
    with pytest.raises(errors.BelowThresholdError, match="signed by 0 of 2"):
        verify_served(ROOT1, ROTATION, versions, tampered, now=NOW)


def test_an_older_version_served_as_current_is_a_rollback() -> None:
    with pytest.raises(errors.RollbackError, match="current document is version 1, but version 2 is published"):
        verify_served(ROOT1, ROTATION, VERSIONS, V1, now=NOW)


def test_a_version_older_than_the_one_seen_before_is_a_rollback() -> None:
    seen = verify_served(ROOT1, ROTATION, VERSIONS, V2, now=NOW).state
    with pytest.raises(errors.RollbackError, match="rolled back: version 1 is served, version 2 was seen"):
        verify_served(ROOT1, ROTATION, VERSIONS[:1], V1, now=NOW, seen=seen)
    with pytest.raises(errors.RollbackError, match="trust root rolled back"):
        verify_served(ROOT1, [], VERSIONS[:1], V1, now=NOW, seen=seen)


def test_an_expired_root_is_refused() -> None:
    expired = make_root(NEW, 2, expires="2026-11-15T00:00:00Z")
    rotation = [ServedRoot(expired, root_sigs(expired, *OLD, *NEW))]
    with pytest.raises(errors.ExpiredError, match="trust root version 2 expired"):
        verify_served(ROOT1, rotation, [served(V1, OLD, 1), served(V2, NEW, 2)], V2, now=NOW)


def test_a_root_rotated_by_the_new_keys_alone_is_refused() -> None:
    rotation = [ServedRoot(ROOT2, root_sigs(ROOT2, *NEW))]
    with pytest.raises(errors.BelowThresholdError, match=r"root version 2 \(by the old root\): signed by 0 of 2"):
        verify_served(ROOT1, rotation, VERSIONS, V2, now=NOW)


def test_version_signed_by_keys_outside_its_root_is_refused() -> None:
    versions = [served(V1, OLD, 1), served(V2, OLD, 2)]  # old keys sign under the new root
    with pytest.raises(errors.BelowThresholdError):
        verify_served(ROOT1, ROTATION, versions, V2, now=NOW)


def test_root_versions_named_by_policy_versions_never_go_down() -> None:
    versions = [served(V1, NEW, 2), served(V2, OLD, 1)]
    with pytest.raises(errors.RollbackError, match="names trust root version 1, older"):
        verify_served(ROOT1, ROTATION, versions, V2, now=NOW)


def test_a_broken_hash_chain_is_refused() -> None:
    fork = make_doc(2, "a" * 64)
    with pytest.raises(errors.WrongPrevError):
        verify_served(ROOT1, ROTATION, [VERSIONS[0], served(fork, NEW, 2)], fork, now=NOW)


def test_pinning_the_new_root_skips_the_walk_but_not_the_signatures() -> None:
    assert verify_served(ROOT2, [], VERSIONS, V2, now=NOW).roots_walked == [2]
    with pytest.raises(errors.RootError, match="older than the trusted root"):
        verify_served(ROOT2, [], VERSIONS[:1], V1, now=NOW)
