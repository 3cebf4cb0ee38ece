"""A release document's corrections section: what changed after the snapshot, and why, under the signatures.

An entry whose source names a ``case_id`` pays an upheld case's correction, not an approval of the
snapshot as it was. The document lists each such correction in a ``## Corrections`` section, one line
a correction, so anyone who reads the signed text sees it without the entries file:

    - Case `<case_id>`: address `<snapshot address>` (snapshot `<snapshot_id>`, kind `<kind>`,
      category `<category or none>`) to `<destination>`, <tokens> tokens (<base units> base units).
      Reason: "<the public reason, JSON-quoted>"

(one line in the document). The reason is the one the holder was given; the holder's own words are
never in a release. Quoting the reason as a JSON string keeps any line break or Markdown in it on
its one line, so the section cannot be forged from inside a reason.

Invariants checked here (pure): every correction the entries pay is listed once, with the entry's
snapshot address, snapshot, destination and amount (tokens and base units by the document's
decimals), and nothing else is listed; a document with no correction in its entries may leave the
section out. The server also holds kind, category and reason to the case as decided.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import msgspec

from policy.verify import Problem

HEADING = "## Corrections"
CODE = "corrections_mismatch"
_LINE = re.compile(
    r"- Case `(?P<case_id>[0-9a-f-]{36})`: address `(?P<address>[^`]+)` \(snapshot `(?P<snapshot_id>[^`]+)`, "
    r"kind `(?P<kind>[a-z_]+)`, category `(?P<category>[a-z_]+)`\) to `(?P<destination>[^`]+)`, "
    r"(?P<tokens>[0-9]+(?:\.[0-9]+)?) tokens \((?P<amount>[0-9]+) base units\)\. Reason: (?P<reason>\".*\")")
NO_CATEGORY = "none"


class CorrectionNote(msgspec.Struct, frozen=True):
    """What the case's decision says about a correction: its kind, the exclude list's category, the reason."""

    kind: str
    category: str | None
    reason: str


class ListedCorrection(msgspec.Struct, frozen=True):
    """One line of the section: the correction, where it is paid, and why."""

    case_id: str
    snapshot_address: str
    snapshot_id: str
    destination: str
    amount: int
    tokens: str
    kind: str
    category: str | None
    reason: str


class Paid(msgspec.Struct, frozen=True):
    """A correction as the entries pay it (the source naming the case, and its entry's destination)."""

    case_id: str
    snapshot_address: str
    snapshot_id: str
    destination: str
    amount: int


def tokens_text(base_units: int, decimals: int) -> str:
    """``250000000000000000000, 18`` -> ``"250"``: the amount in tokens, no grouping, no trailing zeros."""
    whole, fraction = divmod(base_units, 10**decimals)
    return f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)


def render_section(listed: Iterable[ListedCorrection]) -> str:
    """The section's text (``""`` when there is no correction), to follow the document's body."""
    lines = [
        f"- Case `{c.case_id}`: address `{c.snapshot_address}` (snapshot `{c.snapshot_id}`, kind `{c.kind}`, "
        f"category `{c.category or NO_CATEGORY}`) to `{c.destination}`, {c.tokens} tokens ({c.amount} base units). "
        f"Reason: {json.dumps(c.reason, ensure_ascii=False)}" for c in listed]
    if not lines:
        return ""
    return (f"\n{HEADING}\n\n"
            "Amounts this release pays beyond the snapshot, each decided on a case that was upheld. The reason is the "
            "one the holder was given; what the holder wrote stays private.\n\n" + "\n".join(lines) + "\n")


def listing(paid: Iterable[Paid], notes: Mapping[str, CorrectionNote], decimals: int) -> list[ListedCorrection]:
    """The lines for the corrections ``paid``, with each case's note (``KeyError`` when one has none)."""
    return [ListedCorrection(p.case_id, p.snapshot_address, p.snapshot_id, p.destination, p.amount,
                             tokens_text(p.amount, decimals), notes[p.case_id].kind, notes[p.case_id].category,
                             notes[p.case_id].reason) for p in paid]


def _section_lines(body: str) -> list[str] | None:
    """The section's non-blank lines, or None when the body has no section."""
    lines = body.split("\n")
    try:
        start = lines.index(HEADING)
    except ValueError:
        return None
    section = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        section.append(line)
    return [line for line in section if line.strip()]


def parse_section(body: str) -> tuple[list[ListedCorrection], list[Problem]]:
    """The corrections a document's body lists, and the lines that do not read as one."""
    lines = _section_lines(body)
    if lines is None:
        return [], []
    listed, problems = [], []
    for line in lines:
        if not line.startswith("- "):
            continue  # the section's prose
        match = _LINE.fullmatch(line)
        reason = None
        if match:
            try:
                reason = json.loads(match["reason"])
            except json.JSONDecodeError:
                reason = None
        if match is None or not isinstance(reason, str):
            problems.append(Problem(CODE, f"the corrections section has a line that does not read as a correction: "
                                          f"{line[:80]!r}"))
            continue
        category = None if match["category"] == NO_CATEGORY else match["category"]
        listed.append(ListedCorrection(match["case_id"], match["address"], match["snapshot_id"], match["destination"],
                                       int(match["amount"]), match["tokens"], match["kind"], category, reason))
    return listed, problems


def section_problems(body: str, paid: Iterable[Paid], decimals: int) -> list[Problem]:
    """Whether the section lists exactly the corrections ``paid`` (from the entries), each as paid."""
    listed, problems = parse_section(body)
    expected = {p.case_id: p for p in paid}
    seen: set[str] = set()
    for line in listed:
        if line.case_id in seen:
            problems.append(Problem(CODE, f"the corrections section lists case {line.case_id} twice"))
            continue
        seen.add(line.case_id)
        want = expected.get(line.case_id)
        if want is None:
            problems.append(Problem(CODE, f"the corrections section lists case {line.case_id}, which no entry pays"))
            continue
        shown = (line.snapshot_address, line.snapshot_id, line.destination, line.amount, line.tokens)
        owed = (want.snapshot_address, want.snapshot_id, want.destination, want.amount,
                tokens_text(want.amount, decimals))
        if shown != owed:
            problems.append(Problem(CODE, f"the corrections section lists case {line.case_id} as {line.tokens} tokens "
                                          f"({line.amount} base units) from {line.snapshot_address} to "
                                          f"{line.destination}; the entries pay {owed[4]} tokens ({want.amount} base "
                                          f"units) from {want.snapshot_address} to {want.destination}"))
    for case_id in expected.keys() - seen:
        problems.append(Problem(CODE, f"the entries pay the correction of case {case_id}, which the corrections "
                                      "section does not list"))
    return problems
