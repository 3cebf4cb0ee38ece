"""``policy.root.root_toml``: the one layout of root.toml that the CLI and the demo write."""

from __future__ import annotations

import datetime as dt

import pytest

from policy.errors import RootError
from policy.root import parse_root, root_toml

SIGNERS = ["0x" + "1" * 40, "0x" + "2" * 40]


def test_the_layout_round_trips_through_parse_root() -> None:
    text = root_toml(version=3, threshold=2, expires="2027-01-01T00:00:00Z", signers=SIGNERS)
    assert text == (f'version = 3\nthreshold = 2\nexpires = 2027-01-01T00:00:00Z\n'
                    f'signers = ["{SIGNERS[0]}", "{SIGNERS[1]}"]\n')
    root = parse_root(text.encode())
    assert (root.version, root.threshold, root.signers) == (3, 2, tuple(SIGNERS))
    assert root.expires == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_a_signer_cannot_close_its_string_and_add_another() -> None:
    hostile = f'{SIGNERS[0]}", "{SIGNERS[1]}'
    text = root_toml(version=1, threshold=2, expires="2027-01-01T00:00:00Z", signers=[hostile])
    with pytest.raises(RootError, match="threshold"):
        parse_root(text.encode())  # one signer (the whole hostile string), so threshold 2 cannot be met
