"""The demo and real data stay apart; the demo publishes once, under its own persistent DEMO root.

The guard is checked on real directories; the publishing on a real database (each test its own).
``tests/e2e/test_serve_demo.py`` runs ``portal serve --demo`` itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from policy.links import export_rules, official_links
from portal.demo.demo_policy import publish_demo_policy
from portal.demo.guard import DEMO_MARKER, DemoRefusedError, check_data_dir
from portal.domain import policies
from portal.settings import Settings
from portal.store import policies as policy_store
from portal.store.database import Database
from tests.integration.staff_helpers import audit_chain_key

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_demo_refuses_real_database_root_and_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "real"))
    with pytest.raises(DemoRefusedError, match="unset DATABASE_URL"):
        check_data_dir(Settings(database_url="postgresql://db/real"), demo=True)
    with pytest.raises(DemoRefusedError, match="unset PORTAL_POLICY_ROOT"):
        check_data_dir(Settings(policy_root="/etc/portal/root.toml"), demo=True)
    (tmp_path / "real" / "pg").mkdir(parents=True)  # a real embedded database lives here
    with pytest.raises(DemoRefusedError, match="holds data that is not the demo's") as refused:
        check_data_dir(Settings(), demo=True)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "real" / DEMO_MARKER).exists()


def test_demo_marks_its_directory_and_real_serve_refuses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "demo"))
    demo = check_data_dir(Settings(data_dir=str(tmp_path / "demo")), demo=True)
    assert Path(demo.data_dir, DEMO_MARKER).exists()
    (tmp_path / "demo" / "pg").mkdir()
    assert check_data_dir(Settings(), demo=True).data_dir == str(tmp_path / "demo")  # its own data: fine
    with pytest.raises(DemoRefusedError, match="holds DEMO data"):
        check_data_dir(Settings(data_dir=str(tmp_path / "demo")), demo=False)
    monkeypatch.delenv("PORTAL_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    assert check_data_dir(Settings(), demo=True).data_dir == ".portal-demo"  # not the real default, .portal
    assert (tmp_path / ".portal-demo" / DEMO_MARKER).exists()


def _versions(database_url: str) -> list[policy_store.StoredPolicy]:
    async def read() -> list[policy_store.StoredPolicy]:
        db = await Database.open(database_url, size=1, audit_chain_key=audit_chain_key())
        try:
            async with db.transaction() as conn:
                return await policy_store.versions(conn, "official")
        finally:
            await db.close()

    return asyncio.run(read())


def test_demo_publishes_once_and_keeps_its_root(database_url: str, tmp_path: Path) -> None:
    url = "http://127.0.0.1:8000"
    root = publish_demo_policy(database_url, tmp_path, public_url=url, now=NOW)
    first_root = root.read_bytes()
    publish_demo_policy(database_url, tmp_path, public_url=url, now=NOW + dt.timedelta(hours=1))
    assert [v.version for v in _versions(database_url)] == [1]  # a restart publishes nothing new
    assert root.read_bytes() == first_root
    publish_demo_policy(database_url, tmp_path, public_url="http://127.0.0.1:9000", now=NOW + dt.timedelta(days=1))
    versions = _versions(database_url)
    assert [v.version for v in versions] == [1, 2] and {v.root_version for v in versions} == {1}
    assert root.read_bytes() == first_root
    assert "DEMO" in (tmp_path / "demo-policy" / "DEMO-KEYS.json").read_text()


def test_demo_policy_lists_a_realistic_domain_with_meaningful_rules(database_url: str, tmp_path: Path) -> None:
    publish_demo_policy(database_url, tmp_path, public_url="http://127.0.0.1:8000", now=NOW)
    doc = policies.parse_submitted(_versions(database_url)[-1].document.decode())
    rules = export_rules(official_links(doc))
    assert "migrate.example.org" in rules["official_hosts"] and "127.0.0.1" in rules["official_hosts"]
    assert rules["official_domains"] == ["example.org"] and rules["watch_names"] == ["example"]
    assert rules["http_origins"] == ["127.0.0.1:8000"]
    assert "DEMO" in doc.title and "DEMO" in doc.body


def test_demo_policy_contact_leads_to_the_request_lookup_and_a_changed_contact_republishes(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar.testing import TestClient

    from portal.app import create_app
    from portal.demo import demo_policy

    url = "http://127.0.0.1:8000"
    publish_demo_policy(database_url, tmp_path, public_url=url, now=NOW)
    doc = policies.parse_submitted(_versions(database_url)[-1].document.decode())
    assert doc.contacts == (f"{url}/cases/new",)  # the portal's own case page, not the policy page itself
    with TestClient(app=create_app(Settings(database_url=database_url))) as client:
        assert client.get("/cases/new").status_code == 200  # it leads somewhere
        page = client.get("/policy/official").text
    assert f'<a href="{url}/cases/new">{url}/cases/new</a>' in page and "Where to ask for help (signed)" in page
    monkeypatch.setattr(demo_policy, "DEMO_CONTACT_PATH", "/cases")  # another contact: a new version
    publish_demo_policy(database_url, tmp_path, public_url=url, now=NOW + dt.timedelta(hours=1))
    versions = _versions(database_url)
    assert [v.version for v in versions] == [1, 2]
    assert policies.parse_submitted(versions[-1].document.decode()).contacts == (f"{url}/cases",)
