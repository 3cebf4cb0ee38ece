"""Settings come from the environment; a bad value names its variable and stops start-up."""

from __future__ import annotations

import pytest

from portal.cli import main
from portal.errors import SettingsError
from portal.settings import ENV, Settings, from_env


def test_defaults_when_environment_is_empty() -> None:
    assert from_env({}) == Settings()


def test_values_are_read_and_converted() -> None:
    settings = from_env({"PORTAL_RATE_LIMIT_PER_MINUTE": "5", "PORTAL_SNAPSHOTS": "a.snap,b.snap",
                         "DATABASE_URL": "postgresql://u@h/db", "PORTAL_FOUR_EYES_AMOUNT": "10"})
    assert settings.rate_limit_per_minute == 5
    assert settings.snapshots == ("a.snap", "b.snap")
    assert settings.four_eyes_threshold == 10


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORTAL_RATE_LIMIT_PER_MINUTE", "many"),
        ("PORTAL_RATE_LIMIT_PER_MINUTE", "-1"),
        ("PORTAL_DESTINATION_CHAINS", "bitcoin"),
        ("PORTAL_DESTINATION_CHAINS", "evm,bitcoin"),
        ("PORTAL_DESTINATION_CHAINS", ", ,"),
        ("PORTAL_PUBLIC_URL", "portal.example.org"),
        ("DATABASE_URL", "mysql://x"),
        ("PORTAL_FOUR_EYES_AMOUNT", "1e6"),
        ("PORTAL_JWT_ISSUERS", "{not json"),
        ("PORTAL_JWT_ISSUERS", '[{"issuer": "x"}]'),
        ("PORTAL_CHALLENGE_TTL_SECONDS", "1"),
        ("PORTAL_SOLANA_RPC_URL", "solana-rpc.example"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_env({variable: value})
    assert caught.value.variable == variable


def test_every_field_has_a_variable() -> None:
    assert set(ENV) == set(Settings.__struct_fields__)


def test_cli_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORTAL_EVM_CHAIN_ID", "zero")
    assert main(["db", "migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PORTAL_EVM_CHAIN_ID" in err[0]


def test_destination_chains_are_a_comma_list_without_repeats() -> None:
    assert from_env({}).destination_chains == ("evm", "solana")
    assert from_env({"PORTAL_DESTINATION_CHAINS": " solana , solana"}).destination_chains == ("solana",)
    assert from_env({"PORTAL_DESTINATION_CHAINS": "solana,evm"}).destination_chains == ("solana", "evm")
