"""Writing a release: the document text ``portal release prepare`` writes, the distributor line set
before anyone signs, and ``prepare`` itself (entries combined per destination, the tree, the text).

Apart from ``policy.release`` (parsing, the statement, checking, the entries and their tree) so a
verifier reads one module and the authoring tools another; this one imports that one, never back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence

import msgspec

from policy.errors import PolicyDocumentError
from policy.release import (
    BuiltTree,
    ReleaseEntry,
    ReleaseSource,
    distributor_problem,
    encode_entries,
    paid_corrections,
    parse_release,
)
from policy.release_corrections import CorrectionNote, listing, render_section


def _toml_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_release(*, destination_chain: str, number: int, tree: str, merkle_root: str, entries: int, total: int,
                   decimals: int, entries_sha256: str, prev: str, created: dt.datetime,
                   claim_deadline: dt.datetime | None, distributor_address: str = "",
                   chain_id: int | None = None, corrections: str = "") -> str:
    """The document text ``portal release prepare`` writes, in the one layout every tool reads (``chain_id``:
    an EVM release's chain, named in the front matter and the text; ``corrections``: its section)."""
    deadline = f"claim_deadline = {_toml_time(claim_deadline)}\n" if claim_deadline else ""
    whole, fraction = divmod(total, 10**decimals)
    shown = f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return (
        "+++\n"
        'kind = "release"\n'
        f'destination_chain = "{destination_chain}"\n'
        + (f"chain_id = {chain_id}\n" if chain_id is not None else "") +
        f"number = {number}\n"
        f'tree = "{tree}"\n'
        f'merkle_root = "{merkle_root}"\n'
        f"entries = {entries}\n"
        f'total = "{total}"\n'
        f"decimals = {decimals}\n"
        f'entries_sha256 = "{entries_sha256}"\n'
        f'distributor = "{distributor_address}"\n'
        + ('program = ""\n' if destination_chain == "solana" else "") +
        f"{deadline}"
        f'prev = "{prev}"\n'
        f"created = {_toml_time(created)}\n"
        "+++\n"
        f"# Release {number} on {destination_chain}\n\n"
        + (f"Every entry is claimed on the EVM chain with chain id {chain_id}, and only there: a Safe or smart "
           "account on one chain does not own the same address on another.\n\n" if chain_id is not None else "") +
        f"{entries} destination(s) may claim {shown} tokens ({total} base units) in all, each with the proof of "
        f"its entry in the {tree} tree whose root is `{merkle_root}`.\n\n"
        "The entries file beside this document lists every entry and the approved requests it pays; its "
        "sha256 is `entries_sha256` above. Claim only from the `distributor` named above, with the destination "
        "wallet of the entry" + (f", before {_toml_time(claim_deadline)}" if claim_deadline else "") + ".\n"
        + corrections
    )


def set_distributor(raw: bytes, address: str, program: str | None = None) -> bytes:
    """``raw`` with its ``distributor`` line set to ``address`` (checked for the document's chain), and
    for Solana its ``program`` line (the distributor account lives under that program)."""
    doc = parse_release(raw)
    if problem := distributor_problem(doc.destination_chain, address):
        raise PolicyDocumentError(f"distributor: {problem}")
    if (doc.destination_chain == "solana") != (program is not None):
        raise PolicyDocumentError("program: give the distributor program for a Solana release, and only then")
    text = raw.decode("utf-8")
    updated, count = re.subn(r'(?m)^distributor = ".*"$', f'distributor = "{address}"', text, count=1)
    if count != 1:
        raise PolicyDocumentError('release front matter: no `distributor = "…"` line to set')
    if program is not None:
        if problem := distributor_problem("solana", program):
            raise PolicyDocumentError(f"program: {problem}")
        updated, count = re.subn(r'(?m)^program = ".*"$', f'program = "{program}"', updated, count=1)
        if count != 1:
            raise PolicyDocumentError('release front matter: no `program = "…"` line to set')
    result = updated.encode("utf-8")
    parse_release(result)
    return result



class Prepared(msgspec.Struct, frozen=True):
    """A release ready to be signed: the document text, the entries file bytes, and its entries."""

    text: str
    entries_bytes: bytes
    entries: list[ReleaseEntry]
    merkle_root: str
    total: int
    entries_sha256: str


def combine(paid: Sequence[tuple[str, ReleaseSource]], chain_id: int | None = None) -> list[ReleaseEntry]:
    """One entry per destination, in the order of first appearance, its sources' amounts added."""
    by_destination: dict[str, list[ReleaseSource]] = {}
    for destination, source in paid:
        by_destination.setdefault(destination, []).append(source)
    return [ReleaseEntry(index, destination, str(sum(int(s.amount) for s in sources)), sources, chain_id)
            for index, (destination, sources) in enumerate(by_destination.items())]


def prepare(paid: Sequence[tuple[str, ReleaseSource]], *, destination_chain: str, number: int, tree: str, prev: str,
            decimals: int, created: dt.datetime, claim_deadline: dt.datetime | None = None,
            chain_id: int | None = None, notes: Mapping[str, CorrectionNote] | None = None) -> Prepared:
    """Freeze ``paid`` (destination, source) pairs into release ``number``: entries, tree, document (an EVM
    release, and each of its entries, names ``chain_id``).

    ``notes`` gives each correction's kind, category and public reason by ``case_id``; every source
    naming a case needs one (the document lists them in its corrections section)."""
    if not paid:
        raise ValueError("nothing to release")
    if chain_id is not None and destination_chain != "evm":
        raise ValueError("only an EVM release names a chain id")
    entries = combine(paid, chain_id)
    built = BuiltTree(tree, destination_chain, entries)
    entries_bytes = encode_entries(entries)
    digest = hashlib.sha256(entries_bytes).hexdigest()
    total = sum(int(entry.amount) for entry in entries)
    root = "0x" + built.root.hex()
    text = render_release(destination_chain=destination_chain, number=number, tree=tree, merkle_root=root,
                          entries=len(entries), total=total, decimals=decimals, entries_sha256=digest, prev=prev,
                          created=created, claim_deadline=claim_deadline, chain_id=chain_id,
                          corrections=render_section(listing(paid_corrections(entries), notes or {}, decimals)))
    return Prepared(text, entries_bytes, entries, root, total, digest)
