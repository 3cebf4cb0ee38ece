"""The security bulletin: a policy document the trust root signs, that fits one Discord message."""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.bulletin import (
    BULLETIN_SLUG,
    DISCORD_MESSAGE_CHARS,
    BulletinDraft,
    compose,
    defang,
    discord_length,
    discord_of,
)
from policy.document import parse_document
from policy.root import parse_root
from policy.scan import scan_text
from policy.signatures import Signature
from policy.statement import sign_statement, statement
from policy.verify import check_policy
from tests.unit.policy.test_link_exports import GENERATED, OFFICIAL

SIGNERS = [Account.create(), Account.create()]
ROOT = parse_root(("version = 1\nthreshold = 2\nexpires = 2028-01-01T00:00:00Z\nsigners = [" + ", ".join(
    f'"{a.address}"' for a in SIGNERS) + "]\n").encode())
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
URLS = {"policy_url": "https://portal.example.org/policy/official",
        "bulletin_url": "https://portal.example.org/policy/bulletin",
        "blocklist_url": "https://portal.example.org/v1/links/rules?format=adblock"}


def draft(lookalikes: tuple[str, ...], scams: tuple[str, ...] = ("Fake support-ticket bots in #help.",),
          version: int = 1, prev: str = "") -> BulletinDraft:
    return BulletinDraft(version=version, prev=prev, effective=NOW, expires=NOW + dt.timedelta(days=7), scams=scams,
                         lookalikes=lookalikes, **URLS)


def test_a_bulletin_is_a_policy_version_the_root_signs_and_chains() -> None:
    first = parse_document(compose(draft(("examp1e.org",))).encode())
    assert first.slug == BULLETIN_SLUG and first.version == 1 and first.links == ()
    signatures = [Signature(a.address, sign_statement(statement(first), a.key)) for a in SIGNERS]
    assert check_policy(first, signatures, ROOT, previous=None, now=NOW).ok
    assert not check_policy(first, signatures[:1], ROOT, previous=None, now=NOW).ok  # below the root's threshold
    second = parse_document(compose(draft((), version=2, prev=first.sha256)).encode())
    signed = [Signature(a.address, sign_statement(statement(second), a.key)) for a in SIGNERS]
    assert check_policy(second, signed, ROOT, previous=first, now=NOW + dt.timedelta(days=1)).ok
    assert "None confirmed since the last bulletin" in second.body


def test_many_lookalikes_still_fit_one_discord_message_and_the_rest_are_counted() -> None:
    hosts = tuple(sorted(item.ascii for item in GENERATED))
    doc = parse_document(compose(draft(hosts)).encode())
    text = discord_of(doc, URLS["bulletin_url"])
    assert discord_length(text) <= DISCORD_MESSAGE_CHARS and discord_length(text) > DISCORD_MESSAGE_CHARS - 100
    listed = [host for host in hosts if f"`{defang(host)}`" in doc.body]
    assert listed == list(hosts[:len(listed)]) and f"and {len(hosts) - len(listed)} more" in doc.body
    assert URLS["bulletin_url"] in text and URLS["policy_url"] in text


def test_the_hosts_are_defanged_so_no_chat_client_or_scanner_sees_a_link() -> None:
    text = discord_of(parse_document(compose(draft(("examp1e.org", "xn--exmple-cua.io"))).encode()),
                      URLS["bulletin_url"])
    assert "`examp1e[.]org`" in text and "examp1e.org" not in text
    assert scan_text(text, OFFICIAL).lookalikes == 0


@pytest.mark.parametrize("scams", [("x" * 301,), ("",), ("ok", "   ")])
def test_a_scam_line_out_of_bounds_is_refused_by_position(scams: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"^scams\[\d\]"):
        compose(draft((), scams=scams))


@settings(max_examples=60, deadline=None)
@given(scams=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300)
                      .filter(str.strip), max_size=8),
       count=st.integers(0, 400))
def test_any_bulletin_parses_and_fits_or_is_refused(scams: list[str], count: int) -> None:
    hosts = tuple(sorted(item.ascii for item in GENERATED[:count]))
    try:
        text = compose(draft(hosts, scams=tuple(scams)))
    except ValueError as exc:
        assert str(exc).startswith("scams")
        return
    doc = parse_document(text.encode())
    assert discord_length(discord_of(doc, URLS["bulletin_url"])) <= DISCORD_MESSAGE_CHARS
