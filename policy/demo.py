"""DEMO policy bundle for ``portal serve --demo``: fresh random keys, a 2-of-2 root, a signed document.

The keys are generated at every start and live only in memory; they are DEMO keys and say so.
Nothing here is for real use: a real deployment's root lists keys its maintainers hold offline.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from eth_account import Account

from policy.document import PolicyDocument, parse_document
from policy.root import TrustRoot, parse_root, root_statement
from policy.signatures import Signature
from policy.statement import sign_statement, statement

DEMO_POLICY_DAYS = 90
DEMO_ROOT_DAYS = 365


class DemoBundle(msgspec.Struct, frozen=True):
    root: TrustRoot
    root_signatures: list[Signature]
    document: PolicyDocument
    signatures: list[Signature]
    signer_addresses: list[str]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_demo_bundle(template: str, *, public_url: str, now: dt.datetime, version: int = 1,
                     prev: str = "") -> DemoBundle:
    keys = [Account.create(), Account.create()]
    addresses = [key.address for key in keys]
    root = parse_root((f"version = 1\nthreshold = 2\nexpires = {_iso(now + dt.timedelta(days=DEMO_ROOT_DAYS))}\n"
                       f"signers = [\"{addresses[0]}\", \"{addresses[1]}\"]\n").encode())
    text = (template.replace("{public_url}", public_url.rstrip("/"))
            .replace("{effective}", _iso(now)).replace("{expires}", _iso(now + dt.timedelta(days=DEMO_POLICY_DAYS)))
            .replace("{version}", str(version)).replace("{prev}", prev))
    document = parse_document(text.encode())
    doc_statement, root_text = statement(document), root_statement(root)
    return DemoBundle(
        root=root,
        root_signatures=[Signature(k.address, sign_statement(root_text, k.key)) for k in keys],
        document=document,
        signatures=[Signature(k.address, sign_statement(doc_statement, k.key)) for k in keys],
        signer_addresses=addresses,
    )
