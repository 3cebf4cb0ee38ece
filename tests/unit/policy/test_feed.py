"""The Atom feed the portal serves at /policy/feed.atom, built by the pure ``policy.feed``."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from policy.feed import ATOM_NS, FeedEntry, atom_feed

A = f"{{{ATOM_NS}}}"
BASE = "https://migrate.example.org"
LATER = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
EARLIER = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def parse(raw: bytes) -> ET.Element:
    return ET.fromstring(raw)  # noqa: S314 - the feed these tests just built, not untrusted input


def test_one_entry_per_version_newest_first_with_its_hash_as_id() -> None:
    entries = [FeedEntry("official", "Links", 2, "b" * 64, LATER), FeedEntry("official", "Links", 1, "a" * 64, EARLIER)]
    raw = atom_feed(base_url=BASE, entries=entries, updated=LATER)
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    feed = parse(raw)
    assert feed.tag == f"{A}feed" and feed.findtext(f"{A}title") == "Official policy"
    assert feed.findtext(f"{A}id") == f"{BASE}/policy/feed.atom"
    assert feed.findtext(f"{A}updated") == "2027-03-01T10:00:00+00:00"  # UTC, whatever zone it came in
    assert feed.find(f"{A}link").attrib == {"rel": "self", "href": f"{BASE}/policy/feed.atom"}
    items = feed.findall(f"{A}entry")
    assert [item.findtext(f"{A}id") for item in items] == [f"urn:sha256:{'b' * 64}", f"urn:sha256:{'a' * 64}"]
    first = items[0]
    assert first.findtext(f"{A}title") == "Links (version 2)"
    assert {link.attrib["rel"]: link.attrib["href"] for link in first.findall(f"{A}link")} == {
        "alternate": f"{BASE}/policy/official", "related": f"{BASE}/v1/policies/official/versions/2"}
    assert first.findtext(f"{A}summary") == f"Official policy official version 2, sha256 {'b' * 64}"


def test_an_empty_feed_is_valid_and_a_hostile_title_stays_text() -> None:
    assert parse(atom_feed(base_url=BASE, entries=[], updated=EARLIER)).findall(f"{A}entry") == []
    hostile = FeedEntry("official", "</title><script>alert(1)</script>", 1, "c" * 64, EARLIER)
    raw = atom_feed(base_url=BASE, entries=[hostile], updated=EARLIER)
    assert b"<script>" not in raw
    title = parse(raw).find(f"{A}entry").findtext(f"{A}title")
    assert title == "</title><script>alert(1)</script> (version 1)"
