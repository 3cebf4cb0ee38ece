"""The maintainer's flow from the shell: two keys, a 2-of-2 root, sign, verify; tampering exits 1."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pytest
from eth_account import Account

import portal.cli.policy as policy_cli
from policy.document import parse_document
from policy.statement import sign_statement, statement
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


def write_root(path: Path, *accounts: object) -> None:
    signers = ", ".join(f'"{a.address}"' for a in accounts)  # type: ignore[attr-defined]
    path.write_text(f"version = 1\nthreshold = {len(accounts)}\nexpires = 2099-01-01T00:00:00Z\n"
                    f"signers = [{signers}]\n")


def test_statement_and_add_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    account = Account.create()
    write_root(tmp_path / "root.toml", account)
    assert main(["policy", "statement", str(doc)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Official policy official version 1\nsha256:") and text.endswith("\nprev:")
    assert main(["policy", "add-signature", str(doc), "--signature", sign_statement(text, account.key)]) == 0
    assert json.loads(capsys.readouterr().out)["signer"] == account.address
    assert main(["policy", "add-signature", str(doc), "--signature", "0x1234"]) == 2


def test_statement_json_for_scripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    assert main(["policy", "statement", str(doc), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["statement"] == statement(parse_document(DOC.encode()))
    assert out["sha256"] == hashlib.sha256(DOC.encode()).hexdigest() and out["version"] == 1


def test_add_signature_refuses_a_signer_outside_the_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    write_root(tmp_path / "root.toml", Account.create())
    stranger = Account.create()
    text = statement(parse_document(DOC.encode()))
    assert main(["policy", "add-signature", str(doc), "--signature", sign_statement(text, stranger.key)]) == 1
    err = capsys.readouterr().err
    assert f"recovers to {stranger.address}, which is not a signer of trust root version 1" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "official.md.sig.json").exists()


@pytest.mark.parametrize(("slip", "named"), [
    (lambda t: t + "\n", "a trailing newline"),
    (lambda t: t.replace("\n", "\r\n"), "Windows line ends (CRLF)"),
    (lambda t: t.split("\n")[1], "only the sha256 line"),
])
def test_add_signature_names_the_slip(tmp_path: Path, capsys: pytest.CaptureFixture[str], slip, named: str) -> None:
    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    signer = Account.create()
    write_root(tmp_path / "root.toml", signer)
    text = statement(parse_document(DOC.encode()))
    assert main(["policy", "add-signature", str(doc), "--signature", sign_statement(slip(text), signer.key)]) == 1
    err = capsys.readouterr().err
    assert named in err and signer.address in err and "not recorded" in err
    assert not (tmp_path / "official.md.sig.json").exists()


def test_keygen_without_a_terminal_or_passphrase_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PORTAL_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a pipe at its end: no terminal to prompt on
    assert main(["policy", "keygen", "--out", str(tmp_path / "k.json")]) == 2
    err = capsys.readouterr().err
    assert err == "portal: no terminal to ask for the key passphrase: set PORTAL_KEY_PASSPHRASE\n"
    assert not (tmp_path / "k.json").exists()


def test_wrong_passphrase_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORTAL_KEY_PASSPHRASE", "right one")
    keygen(tmp_path / "a.json", monkeypatch, capsys)
    doc = tmp_path / "official.md"
    doc.write_text(DOC)
    monkeypatch.setenv("PORTAL_KEY_PASSPHRASE", "wrong one")
    assert main(["policy", "sign", str(doc), "--keystore", str(tmp_path / "a.json")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"portal: wrong passphrase for {tmp_path / 'a.json'}" and "MAC" not in err


def test_new_then_next_fill_in_version_and_prev(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1, v2 = tmp_path / "v1.md", tmp_path / "v2.md"
    assert main(["policy", "new", "--out", str(v1), "--url", "https://migrate.example.org"]) == 0
    first = parse_document(v1.read_bytes())
    assert first.version == 1 and first.prev == "" and "{" not in v1.read_text().split("+++")[1]
    assert [link.url for link in first.links][:2] == ["https://migrate.example.org/",
                                                      "https://migrate.example.org/policy/official"]
    assert main(["policy", "next", str(v1), "--out", str(v2)]) == 0
    second = parse_document(v2.read_bytes())
    assert second.version == 2 and second.prev == first.sha256
    assert second.links == first.links and second.body == first.body
    assert main(["policy", "new", "--out", str(v1), "--url", "https://migrate.example.org"]) == 2  # no overwrite
    capsys.readouterr()


def test_the_example_in_the_repository_is_a_real_document() -> None:
    text = (Path(__file__).resolve().parents[3] / "policy" / "example-official.md").read_text()
    doc = parse_document(text.encode())
    assert doc.version == 1 and doc.prev == "" and "{" not in text and doc.links and doc.contracts
