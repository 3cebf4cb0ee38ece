"""Keeping the demo and real data apart.

``portal serve --demo`` runs only on its own embedded database in a data directory it marked as
DEMO (default ``.portal-demo``), never with ``DATABASE_URL`` or ``PORTAL_POLICY_ROOT`` (which name
real ones), and never in a directory that holds anything else. A plain ``portal serve`` refuses a
DEMO-marked directory. Each refusal is one line naming what to change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from portal.settings import ENV, Settings

DEMO_DATA_DIR = ".portal-demo"
DEMO_MARKER = "DEMO-DATA-DIR"


class DemoRefusedError(Exception):
    """A one-line reason the demo (or the real service) will not start on this data."""


def demo_settings(settings: Settings, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings the demo runs with, after checking it cannot touch real data; marks the directory."""
    environ = os.environ if environ is None else environ
    if settings.database_url:
        raise DemoRefusedError("--demo runs on its own embedded database: unset DATABASE_URL (it names a real one)")
    if settings.policy_root:
        raise DemoRefusedError("--demo signs with its own DEMO trust root: unset PORTAL_POLICY_ROOT "
                               "(it names a real one)")
    data_dir = Path(environ.get(ENV["data_dir"], "").strip() or DEMO_DATA_DIR)
    marker = data_dir / DEMO_MARKER
    if data_dir.exists() and any(data_dir.iterdir()) and not marker.exists():
        raise DemoRefusedError(f"--demo refuses data dir {data_dir}: it holds data that is not the demo's; "
                               f"set PORTAL_DATA_DIR to an empty directory (or {DEMO_DATA_DIR})")
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("This directory holds DEMO data (DEMO keys, test snapshots) of `portal serve --demo`.\n")
    return msgspec.structs.replace(settings, data_dir=str(data_dir))


DEFAULT_DATA_DIR = Settings().data_dir


def beside_demo(environ: Mapping[str, str], cwd: Path | None = None) -> Path | None:
    """The demo's data dir, for a command run in the folder where ``portal serve --demo`` runs.

    Only when nothing else was chosen: no ``PORTAL_DATA_DIR``, no ``DATABASE_URL``, no default data dir
    (``.portal``) here, and a DEMO-marked ``.portal-demo``. Then ``portal staff add`` after ``portal serve
    --demo`` works on the demo's database, as the README says, instead of a new empty one."""
    if environ.get(ENV["data_dir"], "").strip() or environ.get(ENV["database_url"], "").strip():
        return None
    here = cwd or Path.cwd()
    demo = here / DEMO_DATA_DIR
    if (here / DEFAULT_DATA_DIR).exists() or not (demo / DEMO_MARKER).exists():
        return None
    return Path(DEMO_DATA_DIR)


def refuse_demo_dir(settings: Settings) -> None:
    """A real ``portal serve`` never runs on the demo's directory (its database holds DEMO policy)."""
    if not settings.database_url and (Path(settings.data_dir) / DEMO_MARKER).exists():
        raise DemoRefusedError(f"data dir {settings.data_dir} holds DEMO data (DEMO keys and policy): set "
                               "PORTAL_DATA_DIR to another directory for real use")


def check_data_dir(settings: Settings, *, demo: bool) -> Settings:
    """``serve``'s one check: the demo's settings for ``--demo``, else a refusal of a DEMO directory."""
    if demo:
        return demo_settings(settings)
    refuse_demo_dir(settings)
    return settings
