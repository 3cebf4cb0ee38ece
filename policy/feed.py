"""The Atom feed of published policy versions (RFC 4287): one entry per version, newest first.

Pure: the caller reads the versions and passes them in, so a feed reader, a test or a static
mirror builds the same bytes the portal serves at ``/policy/feed.atom``. Each entry's id is the
version's ``urn:sha256:<hex>``, so a reader sees a new entry exactly when new signed bytes exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.etree import ElementTree as ET

import msgspec

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_TITLE = "Official policy"
FEED_AUTHOR = "migration-portal"


class FeedEntry(msgspec.Struct, frozen=True):
    """One published version: what the feed says about it and where its page and JSON live."""

    slug: str
    title: str
    version: int
    sha256: str
    published_at: dt.datetime


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def atom_feed(*, base_url: str, entries: Sequence[FeedEntry], updated: dt.datetime) -> bytes:
    """The feed document, UTF-8 with an XML declaration. ``base_url`` has no trailing slash; text is
    escaped by ``ElementTree``, so a title from a signed document cannot add markup."""
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "title").text = FEED_TITLE
    ET.SubElement(feed, "id").text = f"{base_url}/policy/feed.atom"
    ET.SubElement(feed, "updated").text = _utc(updated)
    ET.SubElement(feed, "link", rel="self", href=f"{base_url}/policy/feed.atom")
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = FEED_AUTHOR
    for entry in entries:
        item = ET.SubElement(feed, "entry")
        ET.SubElement(item, "title").text = f"{entry.title} (version {entry.version})"
        ET.SubElement(item, "id").text = f"urn:sha256:{entry.sha256}"
        ET.SubElement(item, "updated").text = _utc(entry.published_at)
        ET.SubElement(item, "link", rel="alternate", href=f"{base_url}/policy/{entry.slug}")
        ET.SubElement(item, "link", rel="related", href=f"{base_url}/v1/policies/{entry.slug}/versions/{entry.version}")
        ET.SubElement(item, "summary").text = (f"Official policy {entry.slug} version {entry.version}, "
                                               f"sha256 {entry.sha256}")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
