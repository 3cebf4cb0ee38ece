"""The usual ways a hand-made signature goes wrong, so ``add-signature`` can name the slip.

A wallet signs what was pasted into it. The statement is three lines without a final newline;
people paste it with a trailing newline (``portal policy statement > file`` on older versions,
editors that add one), with Windows line ends, or only the ``sha256:`` line. Each such signature
recovers to an unrelated address. Trying these variants tells the maintainer which slip it was
instead of a bare ``unknown_signer`` later.

``root_signer_of`` is the one check a signature made elsewhere passes before it is recorded, by
``portal policy add-signature`` and by the staff console alike.
"""

from __future__ import annotations

from policy.errors import PolicyError, UnknownSignerError
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


def root_signer_of(text: str, signature: str, root: TrustRoot) -> str:
    """The root signer whose personal_sign over ``text`` ``signature`` is.

    Raises ``MalformedSignatureError`` when it is not a signature, and ``UnknownSignerError`` when it
    recovers to a key outside ``root``: naming the slip when it is a root signer's over a slipped
    statement, else the key it recovers to and the root's signers.
    """
    signer = recover_signer(text, signature)
    if root.holds(signer):
        return signer
    slip = find_slip(text, signature, root)
    if slip is not None:
        raise UnknownSignerError(f"not recorded: this is {slip[1]}'s signature over the statement with {slip[0]}; "
                                 "sign the exact output of `portal policy statement` (three lines, no newline at "
                                 "the end)")
    raise UnknownSignerError(f"not recorded: the signature recovers to {signer}, which is not a signer of trust root "
                             f"version {root.version} ({', '.join(root.signers)}); was it made over this statement, "
                             "with one of the root's keys?")
