"""The usual ways a hand-made signature goes wrong, so ``add-signature`` can name the slip.

A wallet signs what was pasted into it. The statement is three lines without a final newline;
people paste it with a trailing newline (``portal policy statement > file`` on older versions,
editors that add one), with Windows line ends, or only the ``sha256:`` line. Each such signature
recovers to an unrelated address. Trying these variants tells the maintainer which slip it was
instead of a bare ``unknown_signer`` later.
"""

from __future__ import annotations

from policy.errors import PolicyError
from policy.root import TrustRoot
from policy.statement import recover_signer


def variants(text: str) -> list[tuple[str, str]]:
    """(description, text) of each common slip, most common first."""
    crlf = text.replace("\n", "\r\n")
    sha_line = next((line for line in text.split("\n") if line.startswith("sha256:")), "")
    return [
        ("a trailing newline after the statement", text + "\n"),
        ("Windows line ends (CRLF) instead of \\n", crlf),
        ("Windows line ends (CRLF) and a trailing CRLF", crlf + "\r\n"),
        ("two trailing newlines", text + "\n\n"),
        ("only the sha256 line", sha_line),
        ("only the sha256 line, with a trailing newline", sha_line + "\n"),
        ("only the hex digest, without 'sha256:'", sha_line.removeprefix("sha256:")),
        ("leading or trailing spaces", " " + text + " "),
    ]


def find_slip(text: str, signature: str, root: TrustRoot) -> tuple[str, str] | None:
    """(slip description, root signer) when ``signature`` is a root signer's over a slipped variant."""
    for description, variant in variants(text):
        if not variant:
            continue
        try:
            signer = recover_signer(variant, signature)
        except PolicyError:
            return None
        if root.holds(signer):
            return description, signer
    return None
