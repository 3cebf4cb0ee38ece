"""Verifying the whole audit chain against checkpoints, for ``portal audit verify`` and the admin console.

Why here: both the command and the console's "verify now" run it, so it belongs below both (it used to
live in the command's module, which the console then imported upward). It reads every event through a
synchronous connection (``store.audit.iter_all_sync``), so async callers run it in a worker thread.

Checkpoints come from each source: a JSON-lines file, a saved copy of the ``/v1/audit/checkpoints``
feed, or the feed's URL. The result is what ``portal audit verify`` prints: ``ok``, ``events``, the
newest checkpoint held to, or ``first_bad_seq`` and ``reason``; plus ``legacy`` for events written
before the chain was keyed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import msgspec

from portal.domain import audit, audit_checkpoints
from portal.errors import AuditChainBrokenError, UpstreamUnavailableError
from portal.settings import Settings
from portal.store.audit import first_broken, iter_all_sync


def load_checkpoints(source: str) -> list[audit_checkpoints.Checkpoint]:
    """Checkpoints from a JSON-lines file, a saved copy of the feed, or the feed's URL."""
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, params={"limit": 1000}, timeout=10.0, follow_redirects=False)
            response.raise_for_status()
            feed = msgspec.json.decode(response.content)
            return msgspec.convert(feed["checkpoints"], list[audit_checkpoints.Checkpoint])
        except (httpx.HTTPError, msgspec.MsgspecError, KeyError, TypeError) as exc:
            raise UpstreamUnavailableError(f"checkpoint feed {source}: {exc}") from None
    if not Path(source).is_file():
        raise UpstreamUnavailableError(f"checkpoint file {source}: no such file")
    data = Path(source).read_bytes()
    try:
        whole = msgspec.json.decode(data)
    except msgspec.DecodeError:
        whole = None
    if isinstance(whole, dict) and "checkpoints" in whole:  # a saved copy of the served feed
        try:
            return msgspec.convert(whole["checkpoints"], list[audit_checkpoints.Checkpoint])
        except msgspec.ValidationError as exc:
            raise AuditChainBrokenError(f"checkpoint feed copy {source}: {exc}") from None
    return audit_checkpoints.parse_lines(data.splitlines(), source)


def verify_url(url: str, settings: Settings, sources: list[str], public_key: str | None = None, *,
               require_anchor: bool = False, stale_before: dt.datetime | None = None) -> dict[str, object]:
    """Recompute the chain of the database at ``url`` and hold it to the checkpoints of ``sources``
    (``require_anchor``, ``stale_before``: see ``audit_checkpoints.verify_chain``)."""
    key = audit.key_for(settings)
    checkpoints = [checkpoint for source in sources for checkpoint in load_checkpoints(source)]
    result = msgspec.to_builtins(audit_checkpoints.verify_chain(
        iter_all_sync(url), key, checkpoints, public_key=public_key, require_anchor=require_anchor,
        stale_before=stale_before))
    legacy = list(iter_all_sync(url, legacy=True))
    if legacy:
        broken = first_broken(legacy, key=None)
        result["legacy"] = {"events": len(legacy), "ok": broken is None,
                            **({"first_bad_seq": broken[0], "reason": broken[1]} if broken else {})}
    return result
