"""The weekly security bulletin: a short signed document under the policy's trust root.

A bulletin is a policy document whose slug is ``bulletin``: the same TOML front matter, the same
statement signed by the root's threshold (``portal policy sign``), the same version chain (``prev``
is the sha256 of the previous bulletin), published with ``POST /v1/policies``, served at
``/policy/bulletin`` and in ``/policy/feed.atom``, verified by ``portal policy verify --url`` and in
the browser like any policy version. It carries no links of its own, so it never changes what the
link checker calls official.

Its body has three sections: what is going around this week (the maintainer's words), the lookalike
hosts staff confirmed since the last bulletin (defanged, ``examp1e[.]org`` in code spans: neither a
chat client nor AutoMod sees a link in it), and a reminder of the rules. ``compose`` lists as many
hosts as let ``discord_text`` fit one Discord message (``DISCORD_MESSAGE_CHARS``) and counts the rest.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.document import PolicyDocument

BULLETIN_SLUG = "bulletin"
DISCORD_MESSAGE_CHARS = 2000
DEFAULT_DAYS = 7
MAX_SCAM_CHARS = 300
SCAMS_HEADING = "Going around this week"
LOOKALIKES_HEADING = "Lookalike links confirmed since the last bulletin"
RULES_HEADING = "Remember"


class BulletinDraft(msgspec.Struct, frozen=True):
    version: int
    prev: str  # sha256 of the previous bulletin's exact bytes; "" for the first
    effective: dt.datetime
    expires: dt.datetime
    scams: tuple[str, ...]
    lookalikes: tuple[str, ...]  # confirmed hosts (punycode), sorted
    policy_url: str  # the signed official policy's page
    bulletin_url: str  # where this bulletin is served (``<public_url>/policy/bulletin``)
    blocklist_url: str  # the full list of lookalikes (``/v1/links/rules?format=adblock``)


def discord_length(text: str) -> int:
    """UTF-16 code units, as Discord's (JavaScript) limit counts them; never fewer than characters."""
    return len(text.encode("utf-16-le")) // 2


def defang(host: str) -> str:
    """``examp1e.org`` -> ``examp1e[.]org``: readable, not a link, not a keyword AutoMod blocks."""
    return host.replace(".", "[.]")


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _body(draft: BulletinDraft, shown: int) -> str:
    scams = [f"- {' '.join(scam.split())}" for scam in draft.scams] or ["- No new kind of scam was reported."]
    hosts = [f"- `{defang(host)}`" for host in draft.lookalikes[:shown]]
    rest = len(draft.lookalikes) - shown
    if rest:
        hosts.append(f"- and {rest} more: {draft.blocklist_url}")
    if not draft.lookalikes:
        hosts = ["- None confirmed since the last bulletin."]
    rules = ["- Support never DMs you first and never asks for your seed phrase, keys or tokens.",
             "- There is no support ticket, live chat or 'validation' site: only the official links.",
             f"- The official links are in the signed policy: {draft.policy_url}"]
    return "\n".join([f"## {SCAMS_HEADING}", "", *scams, "", f"## {LOOKALIKES_HEADING}", "", *hosts, "",
                      f"## {RULES_HEADING}", "", *rules, ""])


def _document(draft: BulletinDraft, body: str) -> str:
    title = f"Security bulletin {draft.effective.astimezone(dt.UTC):%Y-%m-%d}"
    return (f'+++\nslug = "{BULLETIN_SLUG}"\nversion = {draft.version}\ntitle = "{title}"\n'
            f"effective = {_utc(draft.effective)}\nexpires = {_utc(draft.expires)}\nprev = \"{draft.prev}\"\n"
            f"+++\n{body}")


def discord_text(title: str, version: int, body: str, bulletin_url: str) -> str:
    """The announcement to paste: title, the body as Discord renders Markdown, where to verify it."""
    return f"# {title}\n{body}\nSigned (version {version}); verify it at {bulletin_url}"


def discord_of(doc: PolicyDocument, bulletin_url: str) -> str:
    return discord_text(doc.title, doc.version, doc.body, bulletin_url)


def compose(draft: BulletinDraft) -> str:
    """The bulletin document (unsigned), listing as many hosts as fit one Discord message.

    Raises ValueError when a scam line is over ``MAX_SCAM_CHARS`` or the text cannot fit at all."""
    for index, scam in enumerate(draft.scams):
        if not scam.strip() or len(scam) > MAX_SCAM_CHARS:
            raise ValueError(f"scams[{index}]: one line of 1 to {MAX_SCAM_CHARS} characters")
    title = f"Security bulletin {draft.effective.astimezone(dt.UTC):%Y-%m-%d}"
    for shown in range(len(draft.lookalikes), -1, -1):
        body = _body(draft, shown)
        if discord_length(discord_text(title, draft.version, body, draft.bulletin_url)) <= DISCORD_MESSAGE_CHARS:
            return _document(draft, body)
    raise ValueError(f"scams: the bulletin does not fit one Discord message ({DISCORD_MESSAGE_CHARS} characters)")
