"""The one rule by which any verifier reads the signed header of a policy document.

The signed statement names ``slug``, ``version`` and ``prev`` beside the sha256 of the exact bytes.
A verifier without a TOML parser (the browser's, ``portal/http/static/js/policy-statement.js``)
must read those three fields from the same bytes by the same rule, or the two verifiers check
different statements (the bug: a trailing ``# comment`` on the ``prev = ""`` line was kept by the
browser). So the rule is deliberately small and is the same in both languages:

- the text is UTF-8, split on ``\\n``; a trailing ``\\r`` on a line is dropped (CRLF files);
- the first line is the fence ``+++``; the front matter runs to the next fence line;
- each of the three keys appears on exactly one front-matter line of the form
  ``key = value`` with an optional ``# comment``, where value is a string without quotes or
  backslashes inside (``"..."`` or ``'...'``) or, for ``version``, a decimal integer.

``parse_document`` refuses a document whose TOML reading differs from this rule's, so every
accepted document gives both verifiers the same statement.
"""

from __future__ import annotations

import re

from policy.errors import PolicyDocumentError

FENCE_LINE = re.compile(r"[ \t]*\+\+\+[ \t]*")
HEADER_KEYS = ("slug", "version", "prev")
HEADER_LINE = re.compile(r"(slug|version|prev)[ \t]*=[ \t]*(\"[^\"\\]*\"|'[^'\\]*'|[1-9][0-9]*)[ \t]*(?:#[\s\S]*)?")
KEY_START = re.compile(r"(slug|version|prev)[ \t]*=")


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def header_fields(text: str) -> tuple[str, int, str]:
    """``(slug, version, prev)`` as the canonical rule reads them; refuses anything else."""
    lines = _lines(text)
    if not FENCE_LINE.fullmatch(lines[0]):
        raise PolicyDocumentError("document: must start with a '+++' line opening the TOML front matter")
    end = next((i for i in range(1, len(lines)) if FENCE_LINE.fullmatch(lines[i])), None)
    if end is None:
        raise PolicyDocumentError("document: front matter is not closed by a '+++' line")
    found: dict[str, str] = {}
    for line in lines[1:end]:
        if not (start := KEY_START.match(line)):
            continue
        key = start.group(1)
        match = HEADER_LINE.fullmatch(line)
        if match is None or key in found:
            raise PolicyDocumentError(f"front matter: {key}: must be written once, on its own line, as "
                                      f'{key} = "value" (or a plain number for version), optionally with a # comment')
        found[key] = match.group(2)
    for key in HEADER_KEYS:
        if key not in found:
            raise PolicyDocumentError(f"front matter: {key}: missing (written as {key} = ... on its own line)")
    if found["version"][0] in "\"'":
        raise PolicyDocumentError("front matter: version: must be a plain number")
    if found["slug"][0] not in "\"'" or found["prev"][0] not in "\"'":
        raise PolicyDocumentError("front matter: slug and prev must be quoted strings")
    return found["slug"][1:-1], int(found["version"]), found["prev"][1:-1]


def statement_text(slug: str, version: int, sha256: str, prev: str) -> str:
    """The exact text each signer signs with EIP-191 ``personal_sign``."""
    return f"Official policy {slug} version {version}\nsha256:{sha256}\nprev:{prev}"
