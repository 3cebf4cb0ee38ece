"""security.txt signed with OpenPGP (pysequoia): the CLI makes the key and the signed file; the
signature verifies with pysequoia and, where installed, with GnuPG (an independent implementation)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from policy.security_txt import OpenPgpError, verify_cleartext
from portal.cli import main

DOC = ('+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
       'expires = 2027-06-01T00:00:00Z\nprev = ""\ncontacts = ["mailto:security@migrate.example.org"]\n'
       '[[links]]\nlabel = "Portal"\nurl = "https://migrate.example.org/"\n+++\nWe never DM you.\n')


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setenv("PORTAL_KEY_PASSPHRASE", "a long passphrase")
    key = tmp_path / "security.pgp"
    assert main(["policy", "openpgp-keygen", "--out", str(key), "--uid",
                 "Security <security@migrate.example.org>"]) == 0
    assert len(json.loads(capsys.readouterr().out)["fingerprint"]) == 40
    assert b"PRIVATE KEY" not in key.read_bytes()  # stored encrypted, not as a bare secret key
    (tmp_path / "official.md").write_text(DOC)
    out = tmp_path / "security.txt"
    assert main(["policy", "security-txt", str(tmp_path / "official.md"), "--url", "https://migrate.example.org",
                 "--key", str(key), "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_security_txt_is_cleartext_signed_and_verifies(signed: Path) -> None:
    text = signed.read_text()
    assert text.startswith("-----BEGIN PGP SIGNED MESSAGE-----")
    public = (signed.parent / "security.pgp.pub.asc").read_text()
    body = verify_cleartext(signed.read_bytes(), public).decode()
    assert "Contact: mailto:security@migrate.example.org" in body and "Expires: 2027-06-01T00:00:00Z" in body
    assert "Canonical: https://migrate.example.org/.well-known/security.txt" in body
    with pytest.raises(OpenPgpError):
        verify_cleartext(signed.read_bytes().replace(b"Expires: 2027", b"Expires: 2029"), public)


@pytest.mark.skipif(shutil.which("gpg") is None, reason="GnuPG is not installed; pysequoia's check still runs")
def test_gnupg_agrees(signed: Path, tmp_path: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    base = ["gpg", "--homedir", str(home), "--batch", "--no-tty"]
    subprocess.run([*base, "--import", str(signed.parent / "security.pgp.pub.asc")], check=True, capture_output=True,
                   timeout=60)
    done = subprocess.run([*base, "--verify", str(signed)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Good signature" in done.stderr


def test_wrong_passphrase_for_the_openpgp_key(signed: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORTAL_KEY_PASSPHRASE", "not it")
    assert main(["policy", "security-txt", str(signed.parent / "official.md"), "--url", "https://migrate.example.org",
                 "--key", str(signed.parent / "security.pgp"), "--out", str(signed.parent / "again.txt")]) == 2
    assert capsys.readouterr().err.strip() == "portal: wrong passphrase for the OpenPGP key"
