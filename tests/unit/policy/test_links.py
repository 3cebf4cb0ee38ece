"""The lookalike-link checker: canonical links and harmless variants are official; tricks are not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.document import parse_document
from policy.links import CONFUSABLES, check_link, export_rules, official_links

DOC = parse_document(
    b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
    b'expires = 2027-06-01T00:00:00Z\nprev = ""\n'
    b'[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
    b'[[links]]\nlabel = "Docs"\nurl = "https://docs.example.org/migration"\n+++\nbody\n')
OFFICIAL = official_links(DOC)
HOSTS = ["portal.example.org", "docs.example.org"]


@given(host=st.sampled_from(HOSTS), path=st.sampled_from(["", "/", "/claim", "/a/b?x=1#f"]),
       upper=st.booleans(), port=st.booleans(), dot=st.booleans())
def test_canonical_links_and_harmless_variants_are_official(host: str, path: str, upper: bool, port: bool,
                                                            dot: bool) -> None:
    shown = (host.upper() if upper else host) + ("." if dot else "") + (":443" if port else "")
    assert check_link(f"https://{shown}{path}", OFFICIAL).verdict == "official"


_swappable = {ascii_char: homoglyph for homoglyph, ascii_char in CONFUSABLES.items()
              if len(homoglyph) == 1 and not homoglyph.isdigit() and homoglyph != "i"}


@settings(max_examples=150)
@given(host=st.sampled_from(HOSTS), data=st.data())
def test_homoglyph_and_edit_variants_are_lookalikes(host: str, data: st.DataObject) -> None:
    name = "example"
    kind = data.draw(st.sampled_from(["homoglyph", "edit"]))
    index = data.draw(st.integers(0, len(name) - 1))
    if kind == "homoglyph":
        replacement = _swappable.get(name[index], "0" if name[index] == "o" else name[index] * 2)
    else:
        replacement = data.draw(st.sampled_from(["", "x", name[index] * 2, "-"]))
    variant = name[:index] + replacement + name[index + 1:]
    if variant == name:
        return
    encoded = ".".join(label.encode("idna").decode() if not label.isascii() else label
                       for label in (host.split(".")[0], variant, "org"))
    assert check_link(f"https://{encoded}/", OFFICIAL).verdict == "lookalike", encoded


@pytest.mark.parametrize("url", [
    "https://portal.example.org@evil.io/", "https://portal.example.org.evil.io/", "https://example-org-migration.com",
    "https://exampleorg.com", "http://portal.example.org/", "https://93.184.216.34/", "https://3639556130/",
    "https://0x5db8d822/", "https://[2001:db8::1]/", "https://portal.examp1e.org/", "https://portal.exarnple.org/",
    "https://portal.example.org:8443/",
])
def test_classic_tricks_are_lookalikes(url: str) -> None:
    verdict = check_link(url, OFFICIAL)
    assert verdict.verdict == "lookalike" and verdict.reasons, url


@pytest.mark.parametrize("url", ["https://uniswap.org/", "https://wikipedia.org", "https://help.example.org/"])
def test_unrelated_hosts_are_unknown(url: str) -> None:
    assert check_link(url, OFFICIAL).verdict == "unknown"


@settings(max_examples=400)
@given(st.text(max_size=200))
def test_arbitrary_strings_never_raise(text: str) -> None:
    assert check_link(text, OFFICIAL).verdict in {"official", "lookalike", "unknown"}


def test_rules_export_names_hosts_and_patterns() -> None:
    rules = export_rules(OFFICIAL)
    assert rules["official_hosts"] == sorted(HOSTS) and rules["watch_names"] == ["example"]
    import re

    assert any(re.search(p, "https://portal.example.org@evil.io/") for p in rules["patterns"])
