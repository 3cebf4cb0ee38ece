"""DEMO policy for ``portal serve --demo``: a 2-of-2 root of two DEMO keys and a signed document.

The keys are generated once per demo data directory and kept there in a file named DEMO-KEYS
(unencrypted, marked DEMO): they are DEMO keys and say so. Nothing here is for real use; a real
deployment's root lists keys its maintainers hold offline.
"""

from __future__ import annotations

import datetime as dt

from eth_account import Account

from policy.document import PolicyDocument, parse_document, split_front_matter
from policy.root import TrustRoot, parse_root, root_statement, root_toml
from policy.scaffold import example_text, iso, new_document
from policy.signatures import Signature
from policy.statement import sign_statement, statement

DEMO_POLICY_DAYS = 90
DEMO_ROOT_DAYS = 365
#: The realistic public address the demo policy lists besides the loopback URL, so the link rules
#: it exports (domains, watch names) mean something.
EXAMPLE_PUBLIC_URL = "https://migrate.example.org"
DEMO_NOTE = ("**This is a DEMO policy signed by DEMO keys kept in this demo's data directory.** "
             "Never trust it for anything real.\n\n")


def demo_root(private_keys: list[str], now: dt.datetime) -> tuple[TrustRoot, list[Signature]]:
    accounts = [Account.from_key(key) for key in private_keys]
    expires = iso(now + dt.timedelta(days=DEMO_ROOT_DAYS))
    root = parse_root(root_toml(version=1, threshold=len(accounts), expires=expires,
                                signers=[a.address for a in accounts]).encode())
    text = root_statement(root)
    return root, [Signature(a.address, sign_statement(text, a.key)) for a in accounts]


def demo_document(*, public_url: str, now: dt.datetime, version: int, prev: str,
                  contacts: tuple[str, ...] = ()) -> PolicyDocument:
    """The DEMO policy; ``contacts`` default to the policy page itself (``new_document``'s default)."""
    text = new_document(public_url=public_url, now=now, title="Official links and support policy (DEMO)",
                        days=DEMO_POLICY_DAYS, version=version, prev=prev, contacts=contacts,
                        extra_links=(("Migration portal (its public address)", f"{EXAMPLE_PUBLIC_URL}/"),),
                        body="# Official links and support policy (DEMO)\n\n" + DEMO_NOTE
                        + split_front_matter(example_text())[1].split("\n", 1)[1].lstrip("\n"))
    return parse_document(text.encode())


def sign_document(doc: PolicyDocument, private_keys: list[str]) -> list[Signature]:
    text = statement(doc)
    return [Signature(Account.from_key(k).address, sign_statement(text, k)) for k in private_keys]
