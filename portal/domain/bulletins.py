"""Security bulletins: draft the next one from the database, and find the current one for ``/``.

A bulletin is published, stored, verified and served as a policy version with slug ``bulletin``
(``policy.bulletin``; ``policies.publish`` does it). Drafting reads the previous bulletin (for the
version and ``prev``) and the lookalikes staff confirmed since it was published; it writes nothing.
"""

from __future__ import annotations

import datetime as dt

from policy.bulletin import BULLETIN_SLUG, DEFAULT_DAYS, BulletinDraft, compose
from portal.domain import policies
from portal.store import lookalikes
from portal.store import policies as store
from portal.store.database import Connection


async def draft(conn: Connection, public_url: str, now: dt.datetime, scams: tuple[str, ...],
                days: int = DEFAULT_DAYS) -> str:
    """The next bulletin's document, unsigned. ValueError when the scams text does not fit."""
    previous = await store.latest(conn, BULLETIN_SLUG)
    since = previous.published_at if previous else None
    base = public_url.rstrip("/")
    main = policies.main_policy(await policies.current_all(conn, now))
    return compose(BulletinDraft(
        version=previous.version + 1 if previous else 1, prev=previous.sha256 if previous else "",
        effective=now.replace(microsecond=0), expires=now.replace(microsecond=0) + dt.timedelta(days=days),
        scams=scams, lookalikes=tuple(await lookalikes.confirmed_hosts(conn, since)),
        policy_url=f"{base}/policy/{main.slug if main else policies.OFFICIAL_SLUG}",
        bulletin_url=f"{base}/policy/{BULLETIN_SLUG}", blocklist_url=f"{base}/v1/links/rules?format=adblock"))


async def current(conn: Connection, now: dt.datetime) -> policies.PolicyVersion | None:
    """The latest bulletin while it is in force (effective, not expired), else None."""
    stored = await store.latest(conn, BULLETIN_SLUG)
    if stored is None or not stored.effective <= now < stored.expires:
        return None
    return policies.view(stored, now)
