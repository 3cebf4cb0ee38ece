"""Signed checkpoints of the audit chain, kept outside the database, and the check against them.

A checkpoint says "the chain had ``seq`` events and the newest one's hash was ``head_hash`` at
``at``", signed with the audit key's ed25519 key. Checkpoints are appended as JSON lines to the file
``PORTAL_AUDIT_CHECKPOINT_FILE`` names (one file per database; an operator mirrors it off the host,
e.g. by copying ``GET /v1/audit/checkpoints`` on a timer), never to the database: whoever holds the
database can then still not make a cut tail or a rewritten history agree with what was published.

Invariants:
- a checkpoint is signed only over a chain whose events since the previous checkpoint verify under
  the chain key and continue that checkpoint's head (``make_checkpoint``): the signer never blesses
  a chain that was tampered with in between;
- ``verify_chain`` fails when any checkpoint it is given is signed by another key, when the chain
  is shorter than a checkpoint says (events were cut), or when the event at a checkpoint's ``seq``
  has another hash (the chain was recomputed).

When checkpoints are made (issue 24): by each app's checkpointer within ``CHECKPOINT_BOUND_SECONDS``
of any commit that appended audit events (woken by PostgreSQL's NOTIFY, debounced by
``DEBOUNCE_SECONDS``), every ``PORTAL_AUDIT_CHECKPOINT_SECONDS`` as a fallback, and on ``portal audit
checkpoint``. Events after the latest checkpoint are protected by the keyed hashes alone: they can
be cut, not edited, until the next checkpoint, so ``verify_chain`` (given ``stale_before``) refuses a
chain whose uncovered events are older than the bound plus a grace: either the checkpointer stopped
or someone cut the tail and no checkpoint followed. What remains is the bound itself: a tail cut
within ~2 s of its commit, before the checkpoint is signed, and without the checkpointer running.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from portal.domain import audit_keys
from portal.domain.audit_keys import AuditKey
from portal.errors import AuditChainBrokenError
from portal.store import audit as store
from portal.store.database import Database

_TAIL_BLOCK_BYTES = 64 * 1024
DEBOUNCE_SECONDS = 0.5         # a burst of events after a wake-up is covered by one checkpoint
CHECKPOINT_BOUND_SECONDS = 2.0  # a committed event is covered by a checkpoint within this


class Checkpoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One signed line of the checkpoint file; ``signature`` covers ``audit_keys.checkpoint_statement``."""

    seq: int
    head_hash: str
    at: str
    public_key: str
    signature: str

    def signed_by(self, public_key: str) -> bool:
        return self.public_key == public_key and audit_keys.signature_valid(
            public_key, self.seq, self.head_hash, self.at, self.signature)


_decode_line = msgspec.json.Decoder(Checkpoint).decode
_encode = msgspec.json.Encoder().encode


def sign_checkpoint(key: AuditKey, seq: int, head_hash: str, at: dt.datetime) -> Checkpoint:
    at_text = store.canonical_at(at)
    return Checkpoint(seq, head_hash, at_text, key.public_key, audit_keys.sign(key, seq, head_hash, at_text))


def append_to_file(path: str | Path, checkpoint: Checkpoint) -> None:
    """Append one line and fsync it; an exclusive lock keeps lines whole across workers."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(_encode(checkpoint) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def parse_lines(lines: Iterable[bytes], source: str) -> list[Checkpoint]:
    found = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                found.append(_decode_line(line))
            except msgspec.DecodeError as exc:
                raise AuditChainBrokenError(f"{source} line {number} is not a checkpoint: {exc}") from None
    return found


def read_file(path: str | Path) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first; a missing file has none."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    return parse_lines(data.splitlines(), str(path))


def _lines_from_end(path: Path) -> Iterator[bytes]:
    """The file's lines, newest first, read block by block from the end."""
    with open(path, "rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        pending = b""
        while position > 0:
            step = min(_TAIL_BLOCK_BYTES, position)
            position -= step
            handle.seek(position)
            parts = (handle.read(step) + pending).split(b"\n")
            pending = parts[0]  # may continue in the block before this one
            yield from reversed(parts[1:])
        yield pending


def tail(path: str | Path, limit: int) -> list[Checkpoint]:
    """The newest ``limit`` checkpoints, oldest first, reading only the end of the file."""
    target = Path(path)
    if not target.exists():
        return []
    newest: list[bytes] = []
    for line in _lines_from_end(target):
        if line.strip():
            newest.append(line)
            if len(newest) == limit:
                break
    return parse_lines(reversed(newest), str(path))


async def make_checkpoint(db: Database, key: AuditKey, path: str | Path, *, now: dt.datetime) -> Checkpoint | None:
    """Check the events since the last checkpoint, then sign and append a new one (None: nothing new)."""
    previous = next((c for c in reversed(tail(path, 20)) if c.signed_by(key.public_key)), None)
    after_seq, after_hash = (previous.seq, previous.head_hash) if previous else (0, store.GENESIS_HASH)
    async with db.transaction() as conn:
        head = await store.head(conn)
        new_events = await store.iter_after(conn, after_seq)
    if head is None or head[0] < after_seq:
        raise AuditChainBrokenError(f"the audit chain ends at seq {head[0] if head else 0}, but the checkpoint "
                                    f"of {previous.at if previous else '?'} covers seq {after_seq}: events were cut")
    broken = store.first_broken(new_events, key=key.chain_key, after_seq=after_seq, after_hash=after_hash)
    if broken is not None:
        raise AuditChainBrokenError(f"audit chain broken at seq {broken[0]}: {broken[1]}; no checkpoint signed")
    if head[0] == after_seq:
        return None
    checkpoint = sign_checkpoint(key, head[0], head[1], now)
    append_to_file(path, checkpoint)
    return checkpoint


class Verification(msgspec.Struct, frozen=True, omit_defaults=True):
    """What ``portal audit verify`` prints; ``checkpoint`` is the latest one the chain was held to."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None
    checkpoint: dict[str, object] | None = None


def verify_chain(events: Iterable[store.AuditEvent], key: AuditKey, checkpoints: Iterable[Checkpoint], *,
                 public_key: str | None = None, require_anchor: bool = False,
                 stale_before: dt.datetime | None = None) -> Verification:
    """Recompute the keyed chain and hold it to every checkpoint (signed by ``public_key``, default the key's).

    ``require_anchor``: no checkpoint at all fails (nothing shows that the tail was not cut).
    ``stale_before``: with a checkpoint, an event past the newest one that is older than this fails (the
    checkpoint that should have followed it within the bound did not).
    """
    trusted = public_key or key.public_key
    expected: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints:
        if not checkpoint.signed_by(trusted):
            return Verification(False, 0, checkpoint.seq, f"the checkpoint of {checkpoint.at} (seq {checkpoint.seq}) "
                                "is not signed by the audit key")
        known = expected.get(checkpoint.seq)
        if known is not None and known.head_hash != checkpoint.head_hash:
            return Verification(False, 0, checkpoint.seq, f"two signed checkpoints disagree about seq {checkpoint.seq}")
        expected[checkpoint.seq] = checkpoint
    counted, last_seq = 0, 0
    mismatch: tuple[int, str] | None = None
    anchored_seq = max(expected) if expected else 0
    first_uncovered: store.AuditEvent | None = None

    def watched(items: Iterable[store.AuditEvent]) -> Iterator[store.AuditEvent]:
        nonlocal counted, last_seq, mismatch, first_uncovered
        for event in items:
            counted, last_seq = counted + 1, event.seq
            if first_uncovered is None and event.seq > anchored_seq:
                first_uncovered = event
            held = expected.get(event.seq)
            if held is not None and mismatch is None and held.head_hash != event.hash:
                mismatch = (event.seq, f"event {event.seq} differs from the checkpoint of {held.at}: "
                                       "the chain was rewritten")
            yield event

    broken = store.first_broken(watched(events), key=key.chain_key)
    latest = expected[max(expected)] if expected else None
    summary = {"seq": latest.seq, "at": latest.at} if latest else None
    if broken is not None:
        return Verification(False, counted, broken[0], broken[1], summary)
    if mismatch is not None:
        return Verification(False, counted, mismatch[0], mismatch[1], summary)
    if latest is not None and latest.seq > last_seq:
        return Verification(False, counted, last_seq + 1, f"the chain ends at seq {last_seq}, but the checkpoint of "
                            f"{latest.at} covers seq {latest.seq}: events were cut", summary)
    if require_anchor and latest is None:
        return Verification(False, counted, None, "no checkpoint anchors the chain, so a cut tail cannot be seen "
                            "(is the checkpointer running? for a fresh database pass --allow-unanchored)")
    if latest is not None and stale_before is not None and first_uncovered is not None \
            and first_uncovered.at < stale_before:
        uncovered = last_seq - anchored_seq
        return Verification(False, counted, first_uncovered.seq, f"{uncovered} event(s) from seq "
                            f"{first_uncovered.seq} ({store.canonical_at(first_uncovered.at)}) on are not covered "
                            f"by a checkpoint: the checkpointer stopped, or the tail was cut and no checkpoint "
                            f"followed", summary)
    return Verification(True, counted, checkpoint=summary)
