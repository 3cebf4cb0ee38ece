"""Embedded PostgreSQL through ``pgserver`` for machines where no ``DATABASE_URL`` is given.

``pgserver`` ships the server binaries in its wheel, so ``portal serve --demo`` needs nothing
installed. Several processes may share one data directory: pgserver reference-counts its users and
the server stops when the last one (with ``cleanup_mode="stop"``) lets go.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def embedded_postgres(data_dir: str | os.PathLike[str]) -> Iterator[str]:
    """Run (or join) the server whose data lives in ``data_dir/pg``; yield its connection URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); it is harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        pgdata = Path(data_dir).resolve() / "pg"
        pgdata.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
