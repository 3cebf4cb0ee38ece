"""The review queue as staff browse it: filters, search, keyset pages, the cursor, and its stats.

Invariants: one function (``queue_page``) serves ``GET /v1/review/requests`` and the console's
queue, so both filter and search the same way; every filter is evaluated in SQL over an index
(``store/sql/review.sql`` ``queue_page``), oldest first, with an opaque ``created_at_id`` cursor.
Without a search only open requests are listed; a search (snapshot address, destination or
request id, exact match, EVM addresses in any case) looks at every status.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

from portal.domain.context import UseCaseContext
from portal.domain.proofs import registry
from portal.domain.review.states import OPEN_STATUSES, Status
from portal.domain.text import clean_text
from portal.errors import InvalidInputError
from portal.store import review as store
from portal.store.database import Connection
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError as BadAddressError

RiskFilter = Literal["destination_reused", "client_many_requests", "contract_wallet", "four_eyes_amount",
                     "escalated"]
RISK_FILTERS: dict[str, str] = {
    "destination_reused": "another request names the same destination",
    "client_many_requests": "another request came from the same client address",
    "contract_wallet": "the signer is a contract wallet (EIP-1271)",
    "four_eyes_amount": "the amount needs two approvers",
    "escalated": "a reviewer handed it to the approvers",
}
# Derived from the one list of proof methods, so a new method can be filtered on the day it is added (a copy
# here once left solana_onchain out: the filter answered 400 and the console could not find those requests).
METHODS: tuple[str, ...] = registry.NAMES
CHAINS = ("evm", "solana")
MAX_SEARCH_CHARS = 200
MAX_AGE_HOURS = 24 * 365


class QueueItem(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    status: str
    snapshot_id: str
    snapshot_address: str
    destination: str
    amount: str
    method: str
    created_at: dt.datetime
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    chain: str = "evm"
    destination_chain: str = "evm"
    escalated_at: dt.datetime | None = None


class QueuePage(msgspec.Struct, frozen=True):
    items: list[QueueItem]
    next_cursor: str | None


class QueueQuery(msgspec.Struct, frozen=True):
    """What a caller filters by; every field is optional."""

    status: Status | None = None
    method: str | None = None
    chain: str | None = None
    risk: RiskFilter | None = None
    older_than_hours: int | None = None
    search: str | None = None


def _search_terms(search: str | None) -> tuple[str | None, uuid.UUID | None]:
    text = clean_text(search, field="q", max_chars=MAX_SEARCH_CHARS)
    if text is None:
        return None, None
    try:
        return text, uuid.UUID(text)
    except ValueError:
        pass
    try:
        return parse_address(text).text, None
    except BadAddressError:
        return text, None


def sql_filter(query: QueueQuery, *, threshold: int, now: dt.datetime) -> store.QueueFilter:
    if query.method is not None and query.method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(METHODS)}", field="method")
    if query.chain is not None and query.chain not in CHAINS:
        raise InvalidInputError(f"chain must be one of {', '.join(CHAINS)}", field="chain")
    if query.older_than_hours is not None and not 0 <= query.older_than_hours <= MAX_AGE_HOURS:
        raise InvalidInputError(f"older_than_hours is between 0 and {MAX_AGE_HOURS}", field="older_than_hours")
    search, search_id = _search_terms(query.search)
    if query.status is not None:
        statuses = [str(Status(query.status))]
    else:
        statuses = [str(s) for s in (Status if search else OPEN_STATUSES)]
    method = query.method
    if query.risk == "contract_wallet":
        if method not in (None, "eip1271"):
            statuses = []  # a contract wallet signs with eip1271 only: nothing matches both
        method = "eip1271"
    created_before = (None if query.older_than_hours is None
                      else now - dt.timedelta(hours=query.older_than_hours))
    return store.QueueFilter(
        statuses=statuses, method=method, chain=query.chain, created_before=created_before,
        min_amount=threshold if query.risk == "four_eyes_amount" else None, escalated=query.risk == "escalated",
        destination_reused=query.risk == "destination_reused", client_many=query.risk == "client_many_requests",
        search=search, search_id=search_id)


def encode_cursor(row: store.QueueRow) -> str:
    return f"{row.created_at.isoformat()}_{row.id}"


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, uuid.UUID]:
    if not cursor:
        return store.QUEUE_START
    try:
        at_text, _, id_text = cursor.rpartition("_")
        at = dt.datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, uuid.UUID(id_text)
    except ValueError:
        raise InvalidInputError("cursor is not one this service handed out", field="cursor") from None


async def queue_page(conn: Connection, ctx: UseCaseContext, query: QueueQuery, *, limit: int,
                     cursor: str | None) -> QueuePage:
    filters = sql_filter(query, threshold=ctx.settings.four_eyes_threshold, now=ctx.now())
    rows = await store.queue_page(conn, filters=filters, after=decode_cursor(cursor), limit=limit + 1)
    items = [QueueItem(request_id=row.id, status=row.status, snapshot_id=row.snapshot_id,
                       snapshot_address=row.snapshot_address, destination=row.destination, amount=str(row.amount),
                       method=row.method, created_at=row.created_at, lease_holder=row.lease_holder,
                       lease_expires_at=row.lease_expires_at, first_approver=row.first_approver, chain=row.chain,
                       destination_chain=row.destination_chain, escalated_at=row.escalated_at)
             for row in rows[:limit]]
    return QueuePage(items, encode_cursor(rows[limit - 1]) if len(rows) > limit else None)


async def queue_stats(conn: Connection) -> list[store.QueueStat]:
    """Depth and oldest ``created_at`` per status (the Prometheus queue gauges)."""
    return await store.queue_stats(conn)
