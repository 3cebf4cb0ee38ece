"""HTTP fixtures: Litestar's test client around a real app on a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client
