"""Publishing the DEMO policy into the demo's own database, once, not on every restart.

Keys: two DEMO keys made on first start and kept in ``<data dir>/demo-policy/DEMO-KEYS.json``
(0600, marked DEMO); the 2-of-2 root made from them is written once beside them, so restarts keep
the same root and its sha256. The root goes into the demo database as its trust root (passed as
the anchor of this one publish, never through ``PORTAL_POLICY_ROOT``). A new version is published
only when none exists, when the one published lists other links or contacts (another ``--port``, or
a new ``DEMO_CONTACT_PATH``), or when it expires within ``REPUBLISH_DAYS``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

import msgspec
from eth_account import Account

from policy.demo import demo_document, demo_root, sign_document
from policy.document import parse_document
from policy.root import parse_root
from policy.signatures import dump_signatures, load_signatures
from portal.demo import build_demo_snapshots, write_demo_destinations
from portal.domain import audit, policies
from portal.domain.audit_keys import AuditKey
from portal.domain.context import utc_now
from portal.domain.policy_roots import Anchor, Publication
from portal.settings import ENV, Settings, from_env
from portal.store import policies as policy_store
from portal.store.database import Database

REPUBLISH_DAYS = 7
#: Where the DEMO policy sends a holder who needs help: a page of this portal that does something for
#: them. Today the request lookup (the status of a request sent); the cases page once it exists.
DEMO_CONTACT_PATH = "/cases/new"


def demo_contacts(public_url: str) -> tuple[str, ...]:
    return (f"{public_url.rstrip('/')}{DEMO_CONTACT_PATH}",)


def _keys(folder: Path) -> list[str]:
    path = folder / "DEMO-KEYS.json"
    if path.exists():
        return json.loads(path.read_text())["demo_private_keys"]
    keys = ["0x" + Account.create().key.hex().removeprefix("0x") for _ in range(2)]
    path.write_text(json.dumps({"warning": "DEMO keys of portal serve --demo; never use them for anything real",
                                "demo_private_keys": keys}, indent=2))
    path.chmod(0o600)
    return keys


def _anchor(folder: Path, keys: list[str], now: dt.datetime) -> Anchor:
    root_path = folder / "root.toml"
    if not root_path.exists():
        root, signatures = demo_root(keys, now)
        root_path.write_bytes(root.raw)
        dump_signatures(folder / "root.sig.json", signatures)
    return Anchor(parse_root(root_path.read_bytes()), load_signatures(folder / "root.sig.json"))


def _demo_env(data_dir: Path) -> Settings:
    """The environment's settings, with the audit key it names, else one in the demo's own data dir (never
    ``./.portal``: the demo writes nothing outside its directory)."""
    settings = from_env()
    if settings.audit_key_file:
        return settings
    return msgspec.structs.replace(settings, data_dir=str(data_dir))


def publish_demo_policy(database_url: str, data_dir: Path, *, public_url: str, now: dt.datetime,
                        audit_key: AuditKey | None = None) -> Path:
    """Ensure the demo database serves a current DEMO policy; return the demo root's path."""
    folder = data_dir / "demo-policy"
    folder.mkdir(parents=True, exist_ok=True)
    keys = _keys(folder)
    anchor = _anchor(folder, keys, now)

    async def publish() -> None:
        key = audit_key or audit.key_for(_demo_env(data_dir))
        db = await Database.open(database_url, size=1, audit_chain_key=key.chain_key)
        try:
            async with db.transaction() as conn:
                latest = await policy_store.latest(conn, "official")
            if latest is not None:
                current = parse_document(latest.document)
                fresh = current.expires - now > dt.timedelta(days=REPUBLISH_DAYS)
                same_links = any(link.url == f"{public_url.rstrip('/')}/" for link in current.links)
                if fresh and same_links and current.contacts == demo_contacts(public_url):
                    return
            version, prev = (1, "") if latest is None else (latest.version + 1, latest.sha256)
            doc = demo_document(public_url=public_url, now=now, version=version, prev=prev,
                                contacts=demo_contacts(public_url))
            (folder / "official.md").write_bytes(doc.raw)
            dump_signatures(folder / "official.md.sig.json", sign_document(doc, keys))
            async with db.transaction() as conn:
                publication = Publication(doc.raw.decode(), sign_document(doc, keys), actor="demo")
                await policies.publish(conn, publication, anchor, now)
        finally:
            await db.close()

    asyncio.run(publish())
    return folder / "root.toml"


def start_demo(database_url: str, settings: Settings) -> list[str]:
    """Build the demo snapshots (with their decimals) and make sure the DEMO policy is published; return the
    snapshot paths. Without ``PORTAL_DESTINATIONS_FILE``, the demo's own destinations file is set for the
    workers, so claim amounts are converted as a real deployment's would be."""
    data_dir = Path(settings.data_dir)
    paths = [str(p) for p in build_demo_snapshots(data_dir / "snapshots")]
    if not settings.destinations_file:  # the workers read it from the environment, as every other setting
        os.environ[ENV["destinations_file"]] = str(write_demo_destinations(data_dir))
    root_path = publish_demo_policy(database_url, data_dir, public_url=settings.public_url, now=utc_now(),
                                    audit_key=audit.key_for(settings))
    root = parse_root(root_path.read_bytes())
    print(f"DEMO policy in the demo's own database ({data_dir}), signed by two DEMO keys kept in "
          f"{root_path.parent}/DEMO-KEYS.json (2-of-2 root sha256 {root.sha256}); never trust them for anything "
          f"real. Try: portal policy verify --url {settings.public_url.rstrip('/')}/policy/official "
          f"--root-sha256 {root.sha256}", file=sys.stderr)
    return paths
