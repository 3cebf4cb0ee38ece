"""Holder lists: the input of a snapshot, parsed and validated as a whole.

Formats, sniffed from the content: CSV with an ``address,amount`` header (case and surrounding
whitespace ignored; plain ``"``-quoted fields allowed), or JSON lines ``{"address": ..., "amount": ...}``
where amount is a decimal string (or a JSON integer). Spreadsheet exports are accepted: a UTF-8 BOM,
CRLF line ends, blank lines (skipped wherever they are).

Rules (each broken rule is reported with its 1-based line number, and the list is refused whole):
- address: EVM (any case; mixed case must pass EIP-55) or Solana base58 of 32 bytes;
- one list, one chain: the first row with a valid address sets it; the first row of the other chain is
  reported (with the line that set the chain) and later ones are not repeated;
- amount: decimal digits only (no sign, point, exponent or separators), ``0 < amount < 2**256``
  (``< 2**64`` for a distributor tree, whose amounts are u64).
  Zero is refused: an entry worth nothing is a mistake in a snapshot, not a holder;
- no address twice, compared by raw bytes (so case variants of one EVM address are duplicates);
- at least one row.

Invariant: ``parse_holder_list`` either returns rows that all satisfy the rules above or raises
``HolderListError`` carrying every problem found (at most ``MAX_REPORTED_PROBLEMS``, plus a count).
The hot loop only recognises good rows; a row that fails it is re-read by the slower ``_diagnose``
functions, which word the reason, so speed and messages do not pull against each other.
"""

from __future__ import annotations

import array
from collections.abc import Iterator
from typing import NamedTuple

import msgspec

from snapshot.addresses import Chain, evm_checksum_ok, parse_address
from snapshot.errors import HolderListError, InvalidAddressError

UINT256_LIMIT = 2**256
_UINT256_MAX_DIGITS = 78
_BOM = b"\xef\xbb\xbf"


class HolderList(NamedTuple):
    """Valid rows in input order: ``keys[i]`` (raw address bytes) holds ``amounts[i]``."""

    chain: Chain
    keys: list[bytes]
    amounts: list[int]


class _JsonRow(msgspec.Struct, forbid_unknown_fields=True):
    address: str
    amount: str | int


_json_row = msgspec.json.Decoder(_JsonRow)

# A row as the format readers yield it: (line, address field, amount field), or (line, None, reason).
_Row = tuple[int, bytes | None, bytes | str]


def parse_holder_list(data: bytes, *, amount_limit: int = UINT256_LIMIT, limit_name: str = "uint256") -> HolderList:
    """Parse and validate a whole holder list; raises ``HolderListError`` with every problem.

    ``amount_limit`` (exclusive) is ``2**256`` for an OpenZeppelin tree; a distributor tree passes
    ``2**64`` and ``limit_name="u64"``, so an amount too large for it is reported on its line.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    lines = data.split(b"\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise HolderListError([(1, "the holder list is empty")])
    if lines[first].lstrip().startswith(b"{"):
        rows = _json_rows(lines, first)
    else:
        header = [field.strip().strip(b'"').strip().lower() for field in lines[first].split(b",")]
        if header != [b"address", b"amount"]:
            raise HolderListError([(first + 1, "the first line must be the header address,amount")])
        rows = _csv_rows(lines, first + 1)
    return _validate(rows, amount_limit, limit_name)


def _csv_rows(lines: list[bytes], start: int, line_offset: int = 0) -> Iterator[_Row]:
    for index in range(start, len(lines)):
        parts = lines[index].split(b",")
        if len(parts) == 2:
            yield line_offset + index + 1, parts[0].strip().strip(b'"'), parts[1].strip().strip(b'"')
        elif lines[index].strip():
            found = len(parts)
            reason = "missing amount column" if found == 1 else f"expected 2 columns (address,amount), found {found}"
            yield line_offset + index + 1, None, reason


def split_csv(data: bytes, parts: int) -> list[tuple[bytes, int]] | None:
    """Cut a CSV holder list's rows into ``parts`` chunks at line ends: ``(chunk, lines before it)``.

    None when the data is not a plain CSV list (JSON lines, no header line), so the caller parses
    it whole. Each chunk is parsed by ``parse_csv_chunk``; only the whole-list rules (one chain,
    no duplicates across chunks) are left to the caller.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    header_end = data.find(b"\n")
    if header_end < 0 or data[:header_end].lstrip().startswith(b"{"):
        return None
    header = [field.strip().strip(b'"').strip().lower() for field in data[:header_end].split(b",")]
    if header != [b"address", b"amount"]:
        return None
    chunks, start, lines_before = [], header_end + 1, 1
    for i in range(1, parts + 1):
        end = len(data) if i == parts else data.find(b"\n", start + (len(data) - start) // (parts - i + 1))
        end = len(data) if end < 0 else end + 1
        chunk = data[start:end]
        chunks.append((chunk, lines_before))
        lines_before += chunk.count(b"\n")
        start = end
    return chunks


def parse_csv_chunk(chunk: bytes, lines_before: int, amount_limit: int = UINT256_LIMIT,
                    limit_name: str = "uint256") -> HolderList:
    """Validate the rows of one chunk (line numbers continue after ``lines_before``)."""
    return _validate(_csv_rows(chunk.split(b"\n"), 0, lines_before), amount_limit, limit_name)


def _json_rows(lines: list[bytes], start: int) -> Iterator[_Row]:
    for index in range(start, len(lines)):
        if not lines[index].strip():
            continue
        try:
            row = _json_row.decode(lines[index])
        except msgspec.DecodeError as exc:
            yield index + 1, None, f'expected a JSON object {{"address": ..., "amount": "..."}}: {exc}'
            continue
        amount = row.amount if isinstance(row.amount, str) else str(row.amount)
        yield index + 1, row.address.encode(), amount.encode()


def _validate(rows: Iterator[_Row], amount_limit: int = UINT256_LIMIT, limit_name: str = "uint256") -> HolderList:
    max_digits = len(str(amount_limit - 1))
    problems: list[tuple[int, str]] = []
    keys: list[bytes] = []
    amounts: list[int] = []
    row_lines = array.array("L")
    chain: Chain | None = None
    chain_line = 0
    other_chain_reported = False
    fromhex = bytes.fromhex
    for line, address, amount in rows:
        if address is None:
            problems.append((line, str(amount)))
            continue
        assert isinstance(amount, bytes)
        if chain is None:
            try:
                chain, chain_line = parse_address(address.decode("utf-8", errors="replace")).chain, line
            except InvalidAddressError as exc:
                problems.append((line, f"{exc} ({_show(address)})"))
                continue
        key = b""
        if chain == "evm" and len(address) == 42 and address[:2] == b"0x":
            try:
                key = fromhex(address[2:].decode("ascii"))
            except ValueError:
                key = b""
            if len(key) != 20 or not evm_checksum_ok(address[2:]):
                key = b""
        if not key:
            try:
                parsed = parse_address(address.decode("utf-8", errors="replace"))
            except InvalidAddressError as exc:
                problems.append((line, f"{exc} ({_show(address)})"))
            else:
                if parsed.chain == chain:
                    key = parsed.raw
                elif not other_chain_reported:
                    other_chain_reported = True
                    problems.append((line, f"{parsed.chain} address in a {chain} list (set by line {chain_line});"
                                           " one list holds one chain"))
                else:
                    continue
        if amount.isdigit() and len(amount) <= max_digits and 0 < (value := int(amount)) < amount_limit:
            pass
        else:
            reason = _diagnose_amount(amount, amount_limit, limit_name)
            if reason is not None:
                problems.append((line, reason))
                continue
            value = int(amount)
        if key:
            keys.append(key)
            amounts.append(value)
            row_lines.append(line)
    if not keys and not problems:
        problems.append((1, "the holder list has a header but no rows"))
    if len(set(keys)) != len(keys):
        problems.extend(_duplicates(keys, row_lines))
    if problems or chain is None:
        problems.sort()
        raise HolderListError(problems)
    return HolderList(chain, keys, amounts)


def _diagnose_amount(amount: bytes, limit: int = UINT256_LIMIT, limit_name: str = "uint256") -> str | None:
    """The reason ``amount`` is refused, or ``None`` when it is fine after all (leading zeros)."""
    text = amount.decode("utf-8", errors="replace")
    if not amount:
        return "missing amount"
    if amount[:1] == b"-":
        return f"amount is negative ({_show(amount)})"
    if b"." in amount and amount.replace(b".", b"", 1).isdigit():
        return f"amount must be a whole number of base units, not a fraction ({_show(amount)})"
    if not amount.isdigit():
        return f"amount must be decimal digits only ({_show(amount)})"
    digits = amount.lstrip(b"0")
    if len(digits) > _UINT256_MAX_DIGITS or int(digits or b"0") >= UINT256_LIMIT:
        return f"amount does not fit in uint256 ({len(text)} digits)"
    if int(digits or b"0") >= limit:
        return f"amount {digits.decode()} does not fit in {limit_name} (at most {limit - 1})"
    if not digits:
        return "amount must be positive (a zero entry is a mistake in a snapshot)"
    return None


def _duplicates(keys: list[bytes], row_lines: array.array[int]) -> list[tuple[int, str]]:
    first_line: dict[bytes, int] = {}
    problems = []
    for key, line in zip(keys, row_lines, strict=True):
        seen = first_line.setdefault(key, line)
        if seen != line:
            problems.append((line, f"duplicate address (first on line {seen})"))
    return problems


def _show(field: bytes) -> str:
    """A field quoted for a message, cut short so one bad row cannot flood the report."""
    text = field.decode("utf-8", errors="replace")
    return repr(text if len(text) <= 80 else text[:77] + "...")
