"""Policy verification with real keys: tampering, outsiders, thresholds, duplicates, versions, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from policy import errors
from policy.document import parse_document
from policy.root import parse_root, root_statement, verify_root_chain
from policy.signatures import Signature
from policy.statement import sign_statement, statement
from policy.verify import check_policy, verify_policy

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
KEYS = [Account.create() for _ in range(5)]


def doc_bytes(version: int = 1, prev: str = "", expires: str = "2027-06-01T00:00:00Z") -> bytes:
    return (f'+++\nslug = "official"\nversion = {version}\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
            f'expires = {expires}\nprev = "{prev}"\n[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
            "+++\n# Policy\nWe never DM you.\n").encode()


def root_of(*accounts: object, threshold: int = 2, version: int = 1) -> object:
    signers = ", ".join(f'"{a.address}"' for a in accounts)  # type: ignore[attr-defined]
    return parse_root(f"version = {version}\nthreshold = {threshold}\nexpires = 2028-01-01T00:00:00Z\n"
                      f"signers = [{signers}]\n".encode())


def sigs(doc: object, *accounts: object) -> list[Signature]:
    text = statement(doc)  # type: ignore[arg-type]
    return [Signature(a.address, sign_statement(text, a.key)) for a in accounts]  # type: ignore[attr-defined]


ROOT = root_of(KEYS[0], KEYS[1])


def test_statement_verifies_with_plain_eth_account() -> None:
    doc = parse_document(doc_bytes())
    signature = sigs(doc, KEYS[0])[0]
    assert Account.recover_message(encode_defunct(text=statement(doc)), signature=signature.signature) \
        == KEYS[0].address
    assert statement(doc) == f"Official policy official version 1\nsha256:{doc.sha256}\nprev:"


def test_two_of_two_verifies() -> None:
    doc = parse_document(doc_bytes())
    result = verify_policy(doc, sigs(doc, KEYS[0], KEYS[1]), ROOT, previous=None, now=NOW)
    assert result.ok and sorted(result.signers) == sorted([KEYS[0].address, KEYS[1].address])


@pytest.mark.parametrize("position", [0, 10, 50, -3])
def test_flipping_one_byte_fails(position: int) -> None:
    good = parse_document(doc_bytes())
    signatures = sigs(good, KEYS[0], KEYS[1])
    data = bytearray(doc_bytes())
    data[position] ^= 0x01
    try:
        tampered = parse_document(bytes(data))
    except errors.PolicyDocumentError:
        return  # the flip broke the front matter: refused before any signature is looked at
    assert not check_policy(tampered, signatures, ROOT, previous=None, now=NOW).ok


def test_outsider_signature_does_not_count() -> None:
    doc = parse_document(doc_bytes())
    result = check_policy(doc, sigs(doc, KEYS[0], KEYS[2]), ROOT, previous=None, now=NOW)
    assert {p.code for p in result.problems} == {"below_threshold", "unknown_signer"}
    with pytest.raises(errors.BelowThresholdError, match="1 of 2"):
        verify_policy(doc, sigs(doc, KEYS[0], KEYS[2]), ROOT, previous=None, now=NOW)


def test_k_minus_one_and_duplicate_signer_fail() -> None:
    doc = parse_document(doc_bytes())
    assert check_policy(doc, sigs(doc, KEYS[0]), ROOT, previous=None, now=NOW).missing == 1
    twice = sigs(doc, KEYS[0]) * 2
    result = check_policy(doc, twice, ROOT, previous=None, now=NOW)
    assert result.signers == [KEYS[0].address] and not result.ok


def test_version_chain_rules() -> None:
    v1 = parse_document(doc_bytes())
    v2 = parse_document(doc_bytes(2, v1.sha256))
    assert verify_policy(v2, sigs(v2, *KEYS[:2]), ROOT, previous=v1, now=NOW).ok
    v3_after_1 = parse_document(doc_bytes(3, v1.sha256))
    with pytest.raises(errors.NotNextVersionError):
        verify_policy(v3_after_1, sigs(v3_after_1, *KEYS[:2]), ROOT, previous=v1, now=NOW)
    with pytest.raises(errors.NotNextVersionError):  # v1 again after v2: rollback
        verify_policy(v1, sigs(v1, *KEYS[:2]), ROOT, previous=v2, now=NOW)
    fork = parse_document(doc_bytes(2, "a" * 64))
    with pytest.raises(errors.WrongPrevError):
        verify_policy(fork, sigs(fork, *KEYS[:2]), ROOT, previous=v1, now=NOW)


def test_expired_is_flagged() -> None:
    doc = parse_document(doc_bytes(expires="2026-11-10T00:00:00Z"))
    with pytest.raises(errors.ExpiredError):
        verify_policy(doc, sigs(doc, *KEYS[:2]), ROOT, previous=None, now=NOW)


@pytest.mark.parametrize("signature", ["0x12", "zz" * 65, "0x" + "00" * 64 + "05",
                                       "0x" + "11" * 32 + "ff" * 32 + "1b"])
def test_malformed_signatures(signature: str) -> None:
    doc = parse_document(doc_bytes())
    result = check_policy(doc, [Signature(KEYS[0].address, signature)], ROOT, previous=None, now=NOW)
    assert "malformed_signature" in {p.code for p in result.problems}


@pytest.mark.parametrize(
    ("front", "field"),
    [("version = 0", "version"), ('slug = "Bad Slug"', "slug"), ("expires = 2027-01-01T00:00:00", "expires"),
     ('prev = "abc"', "prev")],
)
def test_document_errors_name_the_field(front: str, field: str) -> None:
    base = doc_bytes(2, "b" * 64).decode()
    key = front.split(" =")[0]
    lines = [front if line.startswith(key + " =") else line for line in base.split("\n")]
    with pytest.raises(errors.PolicyDocumentError, match=field):
        parse_document("\n".join(lines).encode())


def test_root_rotation_needs_old_and_new_thresholds() -> None:
    old = root_of(KEYS[0], KEYS[1])
    new = root_of(KEYS[2], KEYS[3], version=2)
    text = root_statement(new)

    def signed(*accounts: object) -> list[Signature]:
        return [Signature(a.address, sign_statement(text, a.key)) for a in accounts]  # type: ignore[attr-defined]

    assert verify_root_chain(old, [(new, signed(*KEYS[:4]))], NOW).version == 2
    with pytest.raises(errors.BelowThresholdError, match="old root"):
        verify_root_chain(old, [(new, signed(KEYS[2], KEYS[3]))], NOW)
    with pytest.raises(errors.BelowThresholdError, match="own keys"):
        verify_root_chain(old, [(new, signed(KEYS[0], KEYS[1]))], NOW)
    skipping = root_of(KEYS[2], KEYS[3], version=3)
    with pytest.raises(errors.RootError):
        verify_root_chain(old, [(skipping, signed(*KEYS[:4]))], NOW)
