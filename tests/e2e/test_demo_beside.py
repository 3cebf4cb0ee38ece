"""The README's commands work as written beside ``portal serve --demo`` (issue 22, items 6 and 7).

In one folder, with no PORTAL_DATA_DIR: the demo writes nothing outside its own directory; ``portal
staff add`` finds the demo's database (one line says so) instead of dying on an empty one; a
publisher writes, signs with the DEMO keys (``--demo-keys``), verifies offline and publishes version
2 with the CLI alone, giving ``publish`` the same page URL ``verify`` takes. Where no schema exists,
a database command says in one line what to set, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.e2e.test_serve_demo import free_port, wait_until_ready

CLEARED = ("DATABASE_URL", "PORTAL_PUBLIC_URL", "PORTAL_SNAPSHOTS", "PORTAL_DATA_DIR", "PORTAL_AUDIT_KEY_FILE",
           "PORTAL_AUDIT_CHECKPOINT_FILE", "PORTAL_APP_DATABASE_URL", "PORTAL_TOKEN")


def portal(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_commands_beside_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PYTHONPATH"] = str(REPO_ROOT)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--demo", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_ready(base, server)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".portal-demo"]  # nothing outside its directory

        added = portal(tmp_path, env, "staff", "add", "pub", "--role", "publisher")
        assert added.returncode == 0, added.stderr
        assert added.stderr.strip().splitlines() == [
            "portal: using the demo's data dir .portal-demo (DEMO data); set PORTAL_DATA_DIR to use another"]
        token = json.loads(added.stdout)["token"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [".portal-demo"]

        demo = tmp_path / ".portal-demo" / "demo-policy"
        v2 = demo / "official-2.md"
        for step in (["policy", "next", str(demo / "official.md"), "--out", str(v2)],
                     ["policy", "sign", str(v2), "--demo-keys", str(demo / "DEMO-KEYS.json")],
                     ["policy", "verify", str(v2), "--root", str(demo / "root.toml")],
                     ["policy", "publish", str(v2), "--url", f"{base}/policy/official", "--token", token]):
            done = portal(tmp_path, env, *step)
            assert done.returncode == 0, (step, done.stderr)
            assert "Traceback" not in done.stderr
        with urllib.request.urlopen(f"{base}/v1/policies/official", timeout=5) as response:  # noqa: S310
            assert json.loads(response.read())["version"] == 2
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_a_database_command_on_an_empty_database_says_what_to_set(tmp_path: Path, pg_server_url: str) -> None:
    import secrets

    import psycopg

    from tests.conftest import with_database

    name = f"portal_empty_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env |= {"PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": with_database(pg_server_url, name)}
        done = portal(tmp_path, env, "staff", "add", "ada", "--role", "admin")
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and "UndefinedTable" not in done.stderr
        last = done.stderr.strip().splitlines()[-1]  # (before it, the note of a newly generated audit key)
        assert last.startswith("portal: the database has no tables yet") and "portal db migrate" in last
        assert "PORTAL_DATA_DIR" in last
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
