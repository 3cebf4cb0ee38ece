"""Entry point for server workers: each worker builds its app from the environment.

``portal serve`` starts the database, migrates and prepares snapshots in the parent process, then
exports ``DATABASE_URL`` and ``PORTAL_SNAPSHOTS`` so every worker opens the same ones.
"""

from __future__ import annotations

from litestar import Litestar

from portal.app import create_app
from portal.settings import from_env


def app_from_env() -> Litestar:
    return create_app(from_env())
