"""Scan mode against the bypasses a hostile run found (issue 19.6): protocol-relative targets,
bracketed link texts with relative targets, and raw HTML anchors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.document import parse_document
from policy.links import official_links
from policy.scan import browser_target, scan_text

OFFICIAL = official_links(parse_document(
    b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
    b'expires = 2027-06-01T00:00:00Z\nprev = ""\n'
    b'[[links]]\nlabel = "Portal"\nurl = "https://migrate.example.org/"\n+++\nbody\n'))


@pytest.mark.parametrize("text", [
    "[official](//evil.io)",
    "[https://migrate.example.org](//evil.io)",
    "[https://migrate.example.org](\\\\evil.io)",
    "[[official]](evil)",
    "[[https://migrate.example.org]](evil)",
    "[migrate.example.org](/support/ticket)",
    '<a href="https://evil.io">https://migrate.example.org</a>',
    '<a href="//evil.io">official portal</a>',
    "Open <A HREF=//evil.io>migrate.example.org</A> now",
    '<div>\n<a href="&#x2F;&#x2F;evil.io">migrate.example.org</a>\n</div>',
    "[0fficial support](https://evil.io)",  # a confusable spelling of the claim
    "[Example support](https://help-desk.io/ticket)",  # the project's name as the claim
])
def test_each_bypass_is_a_lookalike(text: str) -> None:
    result = scan_text(text, OFFICIAL)
    assert result.lookalikes == 1, result
    [link] = result.links
    assert link.verdict == "lookalike" and "goes to" in link.reasons[0]


def test_protocol_relative_target_names_the_real_host() -> None:
    [link] = scan_text("[official](//evil.io/claim)", OFFICIAL).links
    assert link.url == "//evil.io/claim" and "'evil.io'" in link.reasons[0]


@pytest.mark.parametrize("text", [
    '<a href="https://migrate.example.org/claim">the official portal</a>',
    "[Official portal](https://migrate.example.org/)",
    "[migrate.example.org](//migrate.example.org/)",
    '<p>see <a href="https://migrate.example.org/">https://migrate.example.org</a></p>',
])
def test_official_links_in_every_form_stay_official(text: str) -> None:
    result = scan_text(text, OFFICIAL)
    assert result.lookalikes == 0 and [link.verdict for link in result.links] == ["official"]


def test_a_link_claiming_nothing_keeps_its_targets_verdict() -> None:
    assert [link.verdict for link in scan_text('<a href="//evil.io">click</a>', OFFICIAL).links] == ["unknown"]


def test_bare_urls_inside_html_are_still_found() -> None:
    result = scan_text('<div><img src="https://migrate.examp1e.org/x.png"> https://evil.io/y</div>', OFFICIAL)
    assert {link.url: link.verdict for link in result.links} == {
        "https://migrate.examp1e.org/x.png": "lookalike", "https://evil.io/y": "unknown"}


@pytest.mark.parametrize(("href", "target"), [
    ("//evil.io/a", "https://evil.io/a"), ("\\\\evil.io", "https://evil.io"), ("/\\evil.io", "https://evil.io"),
    ("HTTPS:evil.io", "https://evil.io"), ("https:\\\\evil.io", "https://evil.io"), ("  //ev\til.io", "https://evil.io"),
    ("/path", "/path"), ("https://x.io", "https://x.io"),
])
def test_browser_target(href: str, target: str) -> None:
    assert browser_target(href) == target


hosts = st.from_regex(r"[a-z]{3,10}\.(io|com|net|xyz)", fullmatch=True).filter(lambda h: "example" not in h)
forms = st.sampled_from([
    "[{shown}](https://{host}/x)", "[{shown}](//{host}/x)", "[[{shown}]](//{host})", "[{shown}](\\\\{host})",
    '<a href="https://{host}/">{shown}</a>', '<a href="//{host}">{shown}</a>', "<a href=//{host}>{shown}</a>",
    "[{shown}](relative/page)", "[[{shown}]](evil)", '<a href="evil">{shown}</a>',
])
claims = st.sampled_from(["https://migrate.example.org", "migrate.example.org", "official", "Official support",
                          "the OFFICIAL portal", "migrate.example.org/claim"])


@settings(max_examples=300)
@given(host=hosts, form=forms, shown=claims, before=st.text(max_size=20).filter(lambda t: not set(t) & set("[<`\r\n")))
def test_a_link_that_shows_or_claims_the_official_site_but_goes_elsewhere_is_always_a_lookalike(
        host: str, form: str, shown: str, before: str) -> None:
    text = before + " " + form.format(host=host, shown=shown)
    assert scan_text(text, OFFICIAL).lookalikes >= 1, text
