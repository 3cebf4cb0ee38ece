"""Writing documents without traps: ``portal policy new`` (version 1) and ``portal policy next``.

``new_document`` starts from the repository's complete example (a real version-1 document with
``prev = ""``) and replaces its front matter; ``next_document`` edits only ``version``, ``prev``,
``effective`` and ``expires`` of a previous version's exact text, keeping the links, contracts and
body, so the next version differs where the maintainer edits it and nowhere else. Both outputs
parse with ``parse_document`` (checked before they are returned).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources

from policy.document import PolicyDocument, parse_document, split_front_matter
from policy.errors import PolicyDocumentError

DEFAULT_VALID_DAYS = 90


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def example_text() -> str:
    """The complete example document kept in the repository (``policy/example-official.md``)."""
    return resources.files("policy").joinpath("example-official.md").read_text(encoding="utf-8")


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def new_document(*, public_url: str, now: dt.datetime, slug: str = "official",
                 title: str = "Official links and support policy", days: int = DEFAULT_VALID_DAYS,
                 extra_links: tuple[tuple[str, str], ...] = (), contracts: tuple[tuple[str, str, str], ...] = (),
                 contacts: tuple[str, ...] = (), body: str | None = None, version: int = 1, prev: str = "") -> str:
    """Version 1 (or ``version`` after ``prev``) of a policy for the portal at ``public_url``: complete,
    valid, ready to sign."""
    base = public_url.rstrip("/")
    example = parse_document(example_text().encode())
    links = ((("Migration portal", f"{base}/"), ("This policy", f"{base}/policy/{slug}"), *extra_links))
    contracts = contracts or tuple((c.chain, c.address, c.label) for c in example.contracts)
    lines = [
        "+++", f"slug = {_toml_string(slug)}", f"version = {version}", f"title = {_toml_string(title)}",
        f"effective = {iso(now)}", f"expires = {iso(now + dt.timedelta(days=days))}",
        'prev = ""  # version 1 has no previous version; `portal policy next` fills this in' if version == 1
        else f'prev = "{prev}"',
        f"contacts = [{', '.join(_toml_string(c) for c in (contacts or (f'{base}/policy/{slug}',)))}]",
    ]
    for label, url in links:
        lines += ["[[links]]", f"label = {_toml_string(label)}", f"url = {_toml_string(url)}"]
    for chain, address, label in contracts:
        lines += ["[[contracts]]", f"chain = {_toml_string(chain)}", f"address = {_toml_string(address)}",
                  f"label = {_toml_string(label)}"]
    text = "\n".join([*lines, "+++", ""]) + (body if body is not None else split_front_matter(example_text())[1])
    parse_document(text.encode())
    return text


def next_document(previous: PolicyDocument, *, now: dt.datetime, days: int | None = None) -> str:
    """The next version of ``previous``: version + 1, prev = its sha256, a fresh validity window."""
    text = previous.raw.decode("utf-8")
    front, body = split_front_matter(text)
    span = dt.timedelta(days=days) if days else previous.expires - previous.effective
    values = {"version": str(previous.version + 1), "prev": f'"{previous.sha256}"', "effective": iso(now),
              "expires": iso(now + span)}
    seen = set()

    def replace(match: re.Match[str]) -> str:
        seen.add(match.group(1))
        return f"{match.group(1)} = {values[match.group(1)]}"

    # Only top-level keys (before the first [table]) are replaced; comments after a value go too.
    head, sep, tables = front.partition("\n[")
    head = re.sub(r"(?m)^(version|prev|effective|expires)\s*=.*$", replace, head)
    missing = set(values) - seen
    if missing:
        raise PolicyDocumentError(f"previous version: front matter lacks {', '.join(sorted(missing))}")
    out = f"+++\n{head}{sep}{tables}\n+++\n{body}"
    parse_document(out.encode())
    return out
