"""The maintainer's flow from the shell: two keys, a 2-of-2 root, sign, verify; tampering exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import portal.cli.policy as policy_cli
from portal.cli import main

DOC = ('+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
       'expires = 2099-01-01T00:00:00Z\nprev = ""\n[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
       "+++\nWe never DM you.\n")


def keygen(path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    import argparse

    # Low scrypt cost only here, to keep the test fast; the CLI itself uses eth-account's default.
    assert policy_cli.run_keygen(argparse.Namespace(out=path), kdf_iterations=2) == 0
    return json.loads(capsys.readouterr().out)["address"]


def test_two_keys_root_sign_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORTAL_KEY_PASSPHRASE", "correct horse battery staple")
    a = keygen(tmp_path / "a.json", monkeypatch, capsys)
    b = keygen(tmp_path / "b.json", monkeypatch, capsys)
    root, doc = tmp_path / "root.toml", tmp_path / "official.md"
    doc.write_text(DOC)
    assert main(["policy", "root", "init", "--signer", a, "--signer", b, "--threshold", "2",
                 "--expires", "2099-01-01T00:00:00Z", "--out", str(root)]) == 0
    assert main(["policy", "sign", str(doc), "--keystore", str(tmp_path / "a.json")]) == 0
    capsys.readouterr()
    assert main(["policy", "verify", str(doc), "--root", str(root)]) == 1
    assert "below_threshold" in capsys.readouterr().err
    assert main(["policy", "sign", str(doc), "--keystore", str(tmp_path / "b.json")]) == 0
    capsys.readouterr()
    assert main(["policy", "verify", str(doc), "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert "correct horse" not in (tmp_path / "a.json").read_text()
    doc.write_text(DOC.replace("never", "sometimes"))
    assert main(["policy", "verify", str(doc), "--root", str(root)]) == 1


def test_statement_and_add_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from eth_account import Account

    from policy.statement import sign_statement

    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    assert main(["policy", "statement", str(doc)]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("Official policy official version 1\nsha256:")
    account = Account.create()
    assert main(["policy", "add-signature", str(doc), "--signature", sign_statement(text, account.key)]) == 0
    assert json.loads(capsys.readouterr().out)["signer"] == account.address
    assert main(["policy", "add-signature", str(doc), "--signature", "0x1234"]) == 2
