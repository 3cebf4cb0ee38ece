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

from policy.document import PolicyDocument
from portal.domain.policies import PolicyVersion
from portal.domain.policy_roots import RootVersion

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
                           "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(body: str) -> str:
    return _markdown.render(body)


def _page(title: str, main: str, *, script: bool = False) -> str:
    module = "<script type=\"module\" src=\"/policy/static/policy-verify.js\"></script>" if script else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><link rel=\"stylesheet\" href=\"/policy/static/policy.css\">"
        f"<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/policy/feed.atom\">{module}</head>"
        f"<body>{main}<footer><p>Official support never asks for funds, seed phrases or private keys, and "
        "never contacts you first by direct message.</p></footer></body></html>\n"
    )


def verify_command(base_url: str, slug: str) -> str:
    return f"portal policy verify --url {base_url}/policy/{slug} --root-sha256 <sha256 of the trust root you hold>"


def policy_page(current: PolicyVersion, doc: PolicyDocument, *, roots: Sequence[RootVersion], base_url: str,
                now: dt.datetime) -> str:
    """The policy for people, with everything needed to verify it without trusting this server."""
    expired = now >= current.expires
    slug = escape(current.slug)
    root = next((r for r in roots if r.version == current.root_version), None)
    rows = "".join(f"<tr><td><code>{escape(s.signer)}</code></td><td><code>{escape(s.signature)}</code></td></tr>"
                   for s in current.signatures)
    warning = ("<p class=\"warning\"><strong>This policy has expired.</strong> Do not rely on it; ask through the "
               "official links for the current version.</p>") if expired else ""
    threshold_text = (f" (trust root version {root.version} requires {root.threshold} of its "
                      f"{len(root.signers)} keys)") if root else ""
    main = (
        f"<header><p>Official policy <code>{slug}</code>, version {current.version} · effective "
        f"{current.effective.isoformat()} · expires {current.expires.isoformat()} · "
        f"<a href=\"/policy/{slug}.md\">exact signed bytes</a> · "
        f"<a href=\"/policy/{slug}.md.sig.json\">signatures</a></p></header>{warning}"
        f"{_official([(k.label, k.url) for k in doc.links], [(c.chain, c.address, c.label) for c in doc.contracts])}"
        f"<main>{render_markdown(doc.body)}</main>"
        f"{_browser_check(current)}{_terminal_check(base_url, current.slug, roots)}"
        f"<section class=\"signatures{' expired' if expired else ''}\"><h2>Signatures</h2>"
        f"<p>{len(current.signatures)} signature(s){escape(threshold_text)} over this exact statement, made with "
        "EIP-191 <code>personal_sign</code>. Paste the statement with a signature into any wallet's or block "
        "explorer's “verify signature” tool: it must name the signer next to it.</p>"
        f"<pre>{escape(current.statement)}</pre><table><tr><th>signer</th><th>signature</th></tr>{rows}</table>"
        f"<p>sha256 <code>{escape(current.sha256)}</code><br>prev "
        f"<code>{escape(current.prev) or '(none: first version)'}</code></p></section>"
    )
    return _page(current.title, main, script=True)


def _browser_check(current: PolicyVersion) -> str:
    return (
        f"<section class=\"signatures\" id=\"policy-verify\" data-slug=\"{escape(current.slug)}\">"
        "<h2>Check it in your browser</h2>"
        "<p class=\"verdict\" role=\"status\" data-verdict=\"pending\">"
        "<noscript>Your browser runs no scripts here; use the command below or a wallet.</noscript>"
        "Checking the signatures in your browser…</p>"
        "<p>Your browser fetches the exact bytes, computes their sha256, recovers each signer from its EIP-191 "
        "signature (with the audited <code>@noble/curves</code> code served from this site) and checks the "
        "threshold of the trust root, walking each root rotation. Compare the trust root's sha256 below with one "
        "you got elsewhere: this page cannot vouch for itself.</p></section>"
    )


def _terminal_check(base_url: str, slug: str, roots: Sequence[RootVersion]) -> str:
    rows = "".join(f"<tr><td>{r.version}</td><td><code>{escape(r.sha256)}</code></td><td>{r.threshold} of "
                   f"{len(r.signers)}</td><td>{r.expires.isoformat()}</td>"
                   f"<td><a href=\"/policy/roots/{r.version}.toml\">toml</a> · "
                   f"<a href=\"/policy/roots/{r.version}.sig.json\">signatures</a></td></tr>"
                   for r in roots)
    return (
        "<section class=\"signatures\"><h2>Check it in a terminal</h2>"
        f"<pre class=\"command\">{escape(verify_command(base_url, slug))}</pre>"
        "<p>It fetches every trust root and version from this site, walks the root rotations from the one you "
        "hold (by its sha256, or <code>--root root.toml</code>), and refuses rollbacks and expired roots. Get "
        "the root's sha256 from the project's repository or an announcement you trust, not from this page.</p>"
        f"<table><tr><th>root</th><th>sha256</th><th>threshold</th><th>expires</th><th></th></tr>{rows}</table>"
        "</section>"
    )


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
