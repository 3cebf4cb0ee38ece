"""HTML, Atom and security.txt renderings of signed policy.

The pages are for people checking a link someone sent them, so they show what is needed to verify
the policy without trusting this server: the exact statement that was signed, each signer and
signature, the document's sha256, and a command to check it offline. Markdown is rendered with
raw HTML disabled (a policy author cannot inject script) and pages carry a CSP without inline
script or style.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from xml.etree import ElementTree as ET

from markdown_it import MarkdownIt

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(body: str) -> str:
    return _markdown.render(body)


def _page(title: str, main: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><link rel=\"stylesheet\" href=\"/policy/static/policy.css\">"
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/policy/feed.atom\"></head>"
        f"<body>{main}<footer><p>Official support never asks for funds, seed phrases or private keys, and "
        "never contacts you first by direct message.</p></footer></body></html>\n"
    )


def policy_page(*, title: str, slug: str, version: int, body_markdown: str, statement: str, sha256: str,
                prev: str, effective: dt.datetime, expires: dt.datetime, signatures: list[tuple[str, str]],
                threshold: int | None, now: dt.datetime, links: Sequence[tuple[str, str]] = (),
                contracts: Sequence[tuple[str, str, str]] = ()) -> str:
    expired = now >= expires
    rows = "".join(f"<tr><td><code>{escape(signer)}</code></td><td><code>{escape(signature)}</code></td></tr>"
                   for signer, signature in signatures)
    warning = ("<p class=\"warning\"><strong>This policy has expired.</strong> Do not rely on it; ask through the "
               "official links for the current version.</p>") if expired else ""
    threshold_text = f" (the trust root requires {threshold})" if threshold else ""
    main = (
        f"<header><p>Official policy <code>{escape(slug)}</code>, version {version} · effective "
        f"{effective.isoformat()} · expires {expires.isoformat()} · <a href=\"/policy/{escape(slug)}.md\">exact "
        f"signed bytes</a></p></header>{warning}{_official(links, contracts)}"
        f"<main>{render_markdown(body_markdown)}</main>"
        f"<section class=\"signatures{' expired' if expired else ''}\"><h2>Signatures</h2>"
        f"<p>{len(signatures)} signature(s){escape(threshold_text)} over this exact statement, made with "
        "EIP-191 <code>personal_sign</code>. Paste it with a signature into any wallet's or block explorer's "
        "“verify signature” tool, or run <code>portal policy verify</code> on the <code>.md</code> file.</p>"
        f"<pre>{escape(statement)}</pre><table><tr><th>signer</th><th>signature</th></tr>{rows}</table>"
        f"<p>sha256 <code>{escape(sha256)}</code><br>prev <code>{escape(prev) or '(none: first version)'}</code>"
        "</p></section>"
    )
    return _page(title, main)


def _official(links: Sequence[tuple[str, str]], contracts: Sequence[tuple[str, str, str]]) -> str:
    """The signed front matter's links and contracts: the part a reader compares a link against."""
    if not links and not contracts:
        return ""
    items = "".join(f"<li>{escape(label)}: <code>{escape(url)}</code></li>" for label, url in links)
    rows = "".join(f"<tr><td>{escape(chain)}</td><td><code>{escape(address)}</code></td><td>{escape(label)}</td></tr>"
                   for chain, address, label in contracts)
    table = f"<table><tr><th>chain</th><th>contract</th><th></th></tr>{rows}</table>" if rows else ""
    return (f"<section class=\"signatures\"><h2>Official links and contracts (signed)</h2><ul>{items}</ul>{table}"
            "</section>")


def index_page(policies: list[tuple[str, str, int]]) -> str:
    """``policies``: (slug, title, version) of the current version of each policy."""
    items = "".join(f"<li><a href=\"/policy/{escape(slug)}\">{escape(title)}</a> (version {version})</li>"
                    for slug, title, version in policies)
    return _page("Official policy", f"<main><h1>Official policy</h1><ul>{items or '<li>none published</li>'}</ul>"
                                    "<p><a href=\"/policy/feed.atom\">Atom feed</a> of every version.</p></main>")


def atom_feed(*, base_url: str, entries: list[tuple[str, str, int, str, dt.datetime]], updated: dt.datetime) -> bytes:
    """``entries``: (slug, title, version, sha256, published_at), newest first."""
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", xmlns=ns)
    ET.SubElement(feed, "title").text = "Official policy"
    ET.SubElement(feed, "id").text = f"{base_url}/policy/feed.atom"
    ET.SubElement(feed, "updated").text = updated.astimezone(dt.UTC).isoformat()
    ET.SubElement(feed, "link", rel="self", href=f"{base_url}/policy/feed.atom")
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = "migration-portal"
    for slug, title, version, sha256, published_at in entries:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = f"{title} (version {version})"
        ET.SubElement(entry, "id").text = f"urn:sha256:{sha256}"
        ET.SubElement(entry, "updated").text = published_at.astimezone(dt.UTC).isoformat()
        ET.SubElement(entry, "link", rel="alternate", href=f"{base_url}/policy/{slug}")
        ET.SubElement(entry, "link", rel="related", href=f"{base_url}/v1/policies/{slug}/versions/{version}")
        ET.SubElement(entry, "summary").text = f"Official policy {slug} version {version}, sha256 {sha256}"
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def security_txt(*, base_url: str, contacts: list[str], expires: dt.datetime, policy_slug: str) -> str:
    """RFC 9116: Contact (one or more), Expires, Canonical, Policy."""
    lines = [f"Contact: {contact}" for contact in contacts]
    lines += [
        f"Expires: {expires.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Canonical: {base_url}/.well-known/security.txt",
        f"Policy: {base_url}/policy/{policy_slug}",
        "Preferred-Languages: en",
    ]
    return "\n".join(lines) + "\n"
