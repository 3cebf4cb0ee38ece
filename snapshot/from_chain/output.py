"""What both chain readers share once balances are known: the exclude list, the holder CSV, the artifact.

Invariant: ``write_snapshot`` leaves either both files (holder CSV and ``<sha256>.snap``) or neither;
the CSV is written to a temporary name and renamed only after the artifact was built and checked.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

import msgspec
from solders.pubkey import Pubkey

from snapshot.addresses import Chain, parse_address, to_checksum_address
from snapshot.artifact import Manifest
from snapshot.build import build_artifact
from snapshot.errors import ChainError, InvalidAddressError
from snapshot.exclude import ExcludeEntry, parse_line

Progress = Callable[[int, int], None]


class ExcludeList:
    """Addresses left out of a snapshot (treasury, burn, exchange wallets), one per line as
    ``address # category: note`` (``snapshot.exclude``).

    ``sha256`` is the hash of the file's exact bytes: the manifest records it so that anyone rebuilding
    the snapshot can show they used the same list; ``entries`` (canonical addresses, in file order,
    the first line of an address kept) are recorded beside it, so a holder can be told why.
    """

    def __init__(self, chain: Chain, keys: frozenset[bytes], sha256: str | None, path: str | None,
                 entries: tuple[ExcludeEntry, ...] = ()) -> None:
        self.chain = chain
        self.keys = keys
        self.sha256 = sha256
        self.path = path
        self.entries = entries

    @classmethod
    def none(cls, chain: Chain) -> ExcludeList:
        return cls(chain, frozenset(), None, None)

    def recorded(self) -> list[dict[str, str]]:
        """The entries as the artifact's ``source.exclude_entries`` holds them."""
        return [msgspec.structs.asdict(entry) for entry in self.entries]

    @classmethod
    def read(cls, path: Path | None, chain: Chain) -> ExcludeList:
        if path is None:
            return cls.none(chain)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ChainError(f"exclude list {path}: cannot read: {exc}") from None
        keys: set[bytes] = set()
        entries = []
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            parsed = parse_line(line)
            if parsed is None:
                continue
            text, category, note = parsed
            try:
                address = parse_address(text)
            except InvalidAddressError as exc:
                raise ChainError(f"exclude list {path} line {number}: {exc}") from None
            if address.chain != chain:
                raise ChainError(f"exclude list {path} line {number}: {address.text} is not a {chain} address")
            if address.raw not in keys:
                entries.append(ExcludeEntry(address.text, category, note))
            keys.add(address.raw)
        return cls(chain, frozenset(keys), hashlib.sha256(data).hexdigest(), str(path), tuple(entries))


def address_text(chain: Chain, key: bytes) -> str:
    return to_checksum_address(key) if chain == "evm" else str(Pubkey.from_bytes(key))  # solders: Rust base58


def tool_version() -> str:
    try:
        return f"migration-portal {metadata.version('migration-portal')}"
    except metadata.PackageNotFoundError:
        return "migration-portal (not installed)"


def holder_csv(chain: Chain, balances: Mapping[bytes, int]) -> bytes:
    """``address,amount`` rows in key order (so the same balances always give the same bytes)."""
    rows = [b"address,amount"]
    rows.extend(f"{address_text(chain, key)},{amount}".encode() for key, amount in sorted(balances.items()))
    return b"\n".join(rows) + b"\n"


def write_snapshot(balances: Mapping[bytes, int], *, chain: Chain, csv_path: Path, out_dir: Path, name: str,
                   block: int, source: dict, decimals: int | None = None,
                   progress: Progress | None = None) -> Manifest:
    """Write the holder CSV and build its artifact (with ``source`` in the header); both or neither."""
    if not balances:
        raise ChainError("no holder has a positive balance: nothing to snapshot")
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=csv_path.parent, prefix=".holders-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(holder_csv(chain, balances))
        manifest = build_artifact(Path(tmp_name), out_dir, name=name, block=block, progress=progress,
                                  decimals=decimals, source=source)
        os.replace(tmp_name, csv_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return manifest
