"""What the policy pages show: Structs for ``policy.html`` / ``policy_index.html`` on the base
layout, and the headers they are sent with (the Atom feed is ``policy.feed``).

The pages are for people checking a link someone sent them, so they show what is needed to verify
the policy without trusting this server: the exact statement that was signed, each signer and
signature, the document's sha256, the trust roots, the ``portal policy verify --url`` command, and
an in-browser check (``static/js/policy-verify.js``). Markdown is rendered with raw HTML disabled
(a policy author cannot inject script); the pages carry the site CSP with ``form-action 'none'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from markdown_it import MarkdownIt

from policy.document import PolicyDocument
from policy.signatures import Signature
from portal.domain.policies import PolicyVersion
from portal.domain.policy_roots import RootVersion
from portal.http import csp

#: The site's security headers (``portal.http.csp``) with forms switched off: a policy page posts nothing.
SECURITY_HEADERS = csp.security_headers(walletconnect=False, forms=False)
VERIFY_SCRIPT = "js/policy-verify.js"
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class LinkView(msgspec.Struct, frozen=True):
    label: str
    url: str


class ContractView(msgspec.Struct, frozen=True):
    chain: str
    address: str
    label: str


class RootView(msgspec.Struct, frozen=True):
    version: int
    sha256: str
    threshold: int
    signers: int
    expires: str


class PolicyPage(msgspec.Struct, frozen=True):
    """What ``policy.html`` shows: everything needed to verify the policy without trusting this server."""

    slug: str
    version: int
    effective: str
    expires: str
    expired: bool
    links: tuple[LinkView, ...]
    contracts: tuple[ContractView, ...]
    contacts: tuple[str, ...]  # where to ask for help (mailto: or https:), as signed
    body_html: str  # Markdown rendered with raw HTML disabled: a policy author cannot inject markup
    statement: str
    sha256: str
    prev: str
    signatures: tuple[Signature, ...]
    threshold_text: str
    verify_command: str
    roots: tuple[RootView, ...]


class IndexItem(msgspec.Struct, frozen=True):
    slug: str
    title: str
    version: int


class PolicyIndexPage(msgspec.Struct, frozen=True):
    policies: tuple[IndexItem, ...]


def render_markdown(body: str) -> str:
    return _markdown.render(body)


def verify_command(base_url: str, slug: str) -> str:
    return f"portal policy verify --url {base_url}/policy/{slug} --root-sha256 <sha256 of the trust root you hold>"


def policy_page(current: PolicyVersion, doc: PolicyDocument, *, roots: Sequence[RootVersion], base_url: str,
                now: dt.datetime) -> PolicyPage:
    root = next((r for r in roots if r.version == current.root_version), None)
    threshold_text = (f" (trust root version {root.version} requires {root.threshold} of its "
                      f"{len(root.signers)} keys)") if root else ""
    return PolicyPage(
        slug=current.slug, version=current.version, effective=current.effective.isoformat(),
        expires=current.expires.isoformat(), expired=now >= current.expires,
        links=tuple(LinkView(k.label, k.url) for k in doc.links),
        contracts=tuple(ContractView(c.chain, c.address, c.label) for c in doc.contracts), contacts=doc.contacts,
        body_html=render_markdown(doc.body), statement=current.statement, sha256=current.sha256, prev=current.prev,
        signatures=tuple(current.signatures), threshold_text=threshold_text,
        verify_command=verify_command(base_url, current.slug),
        roots=tuple(RootView(r.version, r.sha256, r.threshold, len(r.signers), r.expires.isoformat()) for r in roots))


def index_page(policies: Sequence[PolicyVersion]) -> PolicyIndexPage:
    return PolicyIndexPage(tuple(IndexItem(p.slug, p.title, p.version) for p in policies))
