"""Policy documents: UTF-8 Markdown with a TOML front matter block between ``+++`` lines.

Invariants: ``raw`` is the exact bytes that were parsed (and signed); ``sha256`` is over ``raw``;
``prev`` is empty exactly for version 1; every datetime carries a timezone; links are https
(plain http only on loopback, for demos).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from typing import Annotated, Literal

import msgspec

from policy.canonical import header_fields
from policy.errors import PolicyDocumentError

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
FENCE = "+++"
#: Plain http is accepted only for loopback links (a local demo); every public link must be https.
LOOPBACK_HTTP = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")


class Link(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: str
    url: str


class Contract(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    chain: str
    address: str
    label: str


class _FrontMatter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    slug: Annotated[str, msgspec.Meta(pattern=SLUG)]
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    effective: dt.datetime
    expires: dt.datetime
    prev: str
    links: tuple[Link, ...] = ()
    contracts: tuple[Contract, ...] = ()
    contacts: tuple[str, ...] = ()
    official_hosts: tuple[str, ...] = ()
    claim_deadline: dt.datetime | None = None
    late_requests: Literal["closed", "review"] = "closed"
    late_notice: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class PolicyDocument(msgspec.Struct, frozen=True):
    slug: str
    version: int
    title: str
    effective: dt.datetime
    expires: dt.datetime
    prev: str
    links: tuple[Link, ...]
    contracts: tuple[Contract, ...]
    contacts: tuple[str, ...]
    official_hosts: tuple[str, ...]
    body: str
    raw: bytes
    sha256: str
    # The claim window (issue 21): after ``claim_deadline`` new requests are refused ("closed", with
    # ``late_notice`` as the sentence holders read) or filed as late for staff ("review").
    claim_deadline: dt.datetime | None = None
    late_requests: str = "closed"
    late_notice: str = ""


def split_front_matter(text: str, what: str = "document") -> tuple[str, str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise PolicyDocumentError(f"{what}: must start with a '+++' line opening the TOML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise PolicyDocumentError(f"{what}: front matter is not closed by a '+++' line") from None
    return "\n".join(lines[1:end]), "\n".join(lines[end + 1:])


def _toml(text: str, what: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyDocumentError(f"{what}: not valid TOML: {exc}") from None


def field_error(exc: msgspec.ValidationError, what: str) -> PolicyDocumentError:
    message = str(exc)
    reason, _, path = message.partition(" - at `$.")
    field = path.rstrip("`") if path else "?"
    return PolicyDocumentError(f"{what}: {field}: {reason}")


def parse_document(raw: bytes) -> PolicyDocument:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyDocumentError(f"document: not UTF-8 (byte {exc.start})") from None
    front, body = split_front_matter(text)
    try:
        # "\n" closes the last line: in a CRLF file it ends in a bare "\r", which TOML refuses.
        meta = msgspec.convert(_toml(front + "\n", "front matter"), _FrontMatter)
    except msgspec.ValidationError as exc:
        raise field_error(exc, "front matter") from None
    if header_fields(text) != (meta.slug, meta.version, meta.prev):
        raise PolicyDocumentError("front matter: slug, version and prev must each be written once, on its own line "
                                  "(key = value), so every verifier reads the same signed statement")
    for name in ("effective", "expires", "claim_deadline"):
        if getattr(meta, name) is not None and getattr(meta, name).tzinfo is None:
            raise PolicyDocumentError(f"front matter: {name}: expected a datetime with a timezone (e.g. ...Z)")
    if meta.expires <= meta.effective:
        raise PolicyDocumentError("front matter: expires: must be after effective")
    if meta.version == 1 and meta.prev != "":
        raise PolicyDocumentError('front matter: prev: must be "" for version 1')
    if meta.version > 1 and not HEX64.match(meta.prev):
        raise PolicyDocumentError("front matter: prev: expected the sha256 (64 lowercase hex) of the previous version")
    for index, link in enumerate(meta.links):
        if not (link.url.startswith("https://") or LOOPBACK_HTTP.match(link.url)):
            raise PolicyDocumentError(f"front matter: links[{index}].url: official links must be https://")
    for index, contact in enumerate(meta.contacts):
        if not (contact.startswith(("mailto:", "https://")) or LOOPBACK_HTTP.match(contact)):
            raise PolicyDocumentError(f"front matter: contacts[{index}]: expected mailto: or https:")
    return PolicyDocument(slug=meta.slug, version=meta.version, title=meta.title, effective=meta.effective,
                          expires=meta.expires, prev=meta.prev, links=meta.links, contracts=meta.contracts,
                          contacts=meta.contacts, official_hosts=meta.official_hosts, body=body, raw=raw,
                          sha256=hashlib.sha256(raw).hexdigest(), claim_deadline=meta.claim_deadline,
                          late_requests=meta.late_requests, late_notice=meta.late_notice)
