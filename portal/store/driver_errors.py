"""The database driver's errors that a caller above the store tells apart (only ``portal.store`` imports psycopg).

The CLI turns them into one line naming what to set, never a traceback: a database without the
schema (``portal db migrate`` not run, or the wrong data dir) and a database it cannot reach.
"""

from __future__ import annotations

import psycopg

NoSchemaError = psycopg.errors.UndefinedTable
UnreachableError = psycopg.OperationalError

__all__ = ["NoSchemaError", "UnreachableError"]
