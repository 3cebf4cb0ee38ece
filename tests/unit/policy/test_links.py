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


# -- issue 13: maintained data, exact loopback http, IP hosts, a realistic domain, scan mode ----------

REAL = parse_document(
    b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
    b'expires = 2027-06-01T00:00:00Z\nprev = ""\n'
    b'[[links]]\nlabel = "Portal"\nurl = "https://migrate.example.org/"\n'
    b'[[links]]\nlabel = "Local demo"\nurl = "http://127.0.0.1:8000/"\n+++\nbody\n')
REAL_LINKS = official_links(REAL)


def test_registrable_domains_come_from_the_public_suffix_list() -> None:
    from policy.links import name_of, registrable

    assert registrable("a.b.example.co.uk") == "example.co.uk" and name_of("example.co.uk") == "example"
    assert registrable("alice.github.io") == "alice.github.io"  # a private suffix: each user is separate
    assert registrable("portal.example.com.au") == "example.com.au"
    assert registrable("x.y.example.pvt.k12.ma.us") == "example.pvt.k12.ma.us"  # not in any short list


def test_confusables_come_from_unicode_data() -> None:
    from policy.links import skeleton

    assert len(CONFUSABLES) > 200
    assert skeleton("ехаmрlе") == skeleton("example")  # Cyrillic letters for e, x, a, p
    assert skeleton("examp1e") == skeleton("example") and skeleton("exarnple") == skeleton("example")
    assert skeleton("ехаmрlе") != skeleton("sample")


def test_http_is_official_only_for_the_exact_loopback_origin() -> None:
    assert check_link("http://127.0.0.1:8000/policy", REAL_LINKS).verdict == "official"
    assert check_link("https://migrate.example.org/", REAL_LINKS).verdict == "official"
    plain = check_link("http://migrate.example.org/", REAL_LINKS)
    assert plain.verdict == "lookalike" and "not https" in plain.reasons[0]
    assert check_link("http://127.0.0.1:8001/", REAL_LINKS).verdict == "lookalike"


def test_ip_hosts_never_yield_domain_or_name_rules() -> None:
    rules = export_rules(REAL_LINKS)
    assert rules["official_domains"] == ["example.org"] and rules["watch_names"] == ["example"]
    assert rules["http_origins"] == ["127.0.0.1:8000"]
    only_ip = official_links(parse_document(
        b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
        b'expires = 2027-06-01T00:00:00Z\nprev = ""\n[[links]]\nlabel = "Demo"\nurl = "http://127.0.0.1:8000/"\n'
        b'[[links]]\nlabel = "Local"\nurl = "http://localhost:8000/"\n+++\nbody\n'))
    assert only_ip.registrable == () and only_ip.names == ()
    assert check_link("https://0.1.evil.io/", only_ip).verdict == "unknown"


@pytest.mark.parametrize("url", [
    "https://migrate.examp1e.org/", "https://migrate.exarnple.org/", "https://migrate.exampie.org/",
    "https://migrate-example.org/", "https://migrate.example.org.claim-tokens.io/", "https://example-org.support/",
    "https://migrate.examplle.org/", "https://migrate.exampel.org/", "https://xn--migrate-example-org-3kb.com/",
    "https://migrate." + "ех" "ample".encode("idna").decode() + ".org/",
    "https://migrate." + "ex\u0430mple".encode("idna").decode() + ".org/", "https://migrate.example.org@evil.io/",
    "https://migrate.example.org:8443/", "http://migrate.example.org/", "https://migrate.example.com/",
])
def test_mutations_of_a_realistic_official_domain_are_lookalikes(url: str) -> None:
    verdict = check_link(url, REAL_LINKS)
    assert verdict.verdict == "lookalike" and verdict.reasons, (url, verdict)


def test_scan_finds_the_markdown_trick_and_bare_urls() -> None:
    from policy.scan import scan_text

    text = ("Hello, I'm from support. Open your ticket at "
            "[https://migrate.example.org/support](https://migrate-example.org.help-desk.io/t/42) "
            "or [the portal](https://migrate.example.org/claim).\n"
            "Backup: migrate.examp1e.org is down, try https://evil.io/x. and `https://migrate.example.org/`\n\n"
            "[ref]: https://migrate.examp1e.org/claim\nSee [here][ref].")
    result = scan_text(text, REAL_LINKS)
    by_url = {link.url: link for link in result.links}
    trick = by_url["https://migrate-example.org.help-desk.io/t/42"]
    assert trick.verdict == "lookalike" and trick.shown == "https://migrate.example.org/support"
    assert "shows 'https://migrate.example.org/support' but goes to" in trick.reasons[0]
    assert by_url["https://migrate.example.org/claim"].verdict == "official"  # text that is not a URL is fine
    assert by_url["https://evil.io/x"].verdict == "unknown"
    assert by_url["https://migrate.examp1e.org/claim"].verdict == "lookalike"  # reference-style link
    assert by_url["https://migrate.example.org/"].verdict == "official"  # inside a code span
    assert result.lookalikes == sum(1 for link in result.links if link.verdict == "lookalike") >= 2


def test_scan_shown_official_text_on_an_official_target_is_official() -> None:
    from policy.scan import scan_text

    result = scan_text("[migrate.example.org](https://migrate.example.org/)", REAL_LINKS)
    assert [link.verdict for link in result.links] == ["official"]


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_scan_never_raises(text: str) -> None:
    from policy.scan import scan_text

    assert all(link.verdict in {"official", "lookalike", "unknown"} for link in scan_text(text, REAL_LINKS).links)
