"""The link rules in the shapes their consumers load as they are. Pure; every export is bytes.

Formats (``EXPORT_FORMATS``):
- ``json``: the chat-bot rules of ``policy.links.export_rules`` (version 2, unchanged);
- ``rules``: the whole rule model (``policy.link_rules.LinkRules``) as JSON;
- ``discord-automod``: the bodies of the AutoMod rules to create (``policy.discord_automod``);
- ``metamask-issue``: the body of an issue on MetaMask's eth-phishing-detect ("Block Domain" form:
  one host per line; its maintainers ask that nothing go to ``fuzzylist``, so nothing does);
- ``phantom-yaml``: entries for Phantom's ``blocklist.yaml`` (``- url: host`` with a ``description``);
- ``scamsniffer-json``: a flat JSON array of hostnames (ScamSniffer's ``domains.json``);
- ``adblock``: ``||host^`` lines with ``!`` comments (Adblock Plus, uBlock Origin, AdGuard Home DNS).

The wallet blocklists (MetaMask, Phantom, ScamSniffer) take only the lookalikes staff confirmed from
what people were sent: those lists are for sites that exist and harm people. The ad-block list and
Discord take the generated ones too (blocking a name nobody registered yet costs nothing). Hosts are
in punycode (IDNA) everywhere but Discord, which matches the text people paste. No export holds an
official host (``policy.link_rules`` keeps them out of the model). Same rules, same bytes: the lines
are sorted, JSON keys are sorted, and nothing depends on the clock.
"""

from __future__ import annotations

import json

import msgspec

from policy.discord_automod import AutomodOptions, automod_rules
from policy.discord_automod import encode as encode_automod
from policy.link_rules import LinkRules, Lookalike
from policy.links import OfficialLinks, export_rules

EXPORT_FORMATS = ("json", "rules", "discord-automod", "metamask-issue", "phantom-yaml", "scamsniffer-json",
                  "adblock")
MEDIA_TYPES = {"json": "application/json", "rules": "application/json", "discord-automod": "application/json",
               "metamask-issue": "text/markdown; charset=utf-8", "phantom-yaml": "application/yaml",
               "scamsniffer-json": "application/json", "adblock": "text/plain; charset=utf-8"}
WALLET_LIST_SOURCES = frozenset({"seen"})


def _dump(value: object) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def bot_rules(official: OfficialLinks) -> bytes:
    """``json``: the chat-bot rules of ``policy.links.export_rules``."""
    return _dump(export_rules(official))


def wallet_hosts(rules: LinkRules) -> list[str]:
    """Confirmed lookalikes for the wallet blocklists, punycode, sorted."""
    return sorted({item.ascii for item in rules.lookalikes if item.source in WALLET_LIST_SOURCES})


def all_hosts(rules: LinkRules) -> list[str]:
    return sorted({item.ascii for item in rules.lookalikes})


def _why(rules: LinkRules) -> str:
    return (f"Lookalikes of the official {rules.project} links ({', '.join(rules.official_hosts)}), used to "
            f"impersonate its token-migration support. The official links are signed: {rules.policy_url}")


def metamask_issue(rules: LinkRules) -> bytes:
    hosts = wallet_hosts(rules)
    lines = ["Please list all URLs that you are reporting for malicious activity, plus a brief description if you "
             "think it is necessary", "", "**URLs:**", "", *hosts, "", "**Description:**", "", _why(rules), ""]
    return "\n".join(lines).encode()


def phantom_yaml(rules: LinkRules) -> bytes:
    """Each entry ``- url: <host>`` with a ``description:`` (JSON-quoted: a valid YAML double-quoted
    scalar, so no host or project name can break the document)."""
    matched = {item.ascii: item for item in rules.lookalikes}
    lines = []
    for host in wallet_hosts(rules):
        lines.append(f"- url: {host}")  # punycode: letters, digits, '.', '-' only, a plain YAML scalar
        lines.append(f"  description: {json.dumps(_describe(rules, matched[host]))}")
    return ("\n".join(lines) + "\n").encode() if lines else b"[]\n"


def _describe(rules: LinkRules, item: Lookalike) -> str:
    imitates = item.matched or ", ".join(rules.official_domains)
    return f"Impersonates {imitates} ({rules.project} token migration); official links: {rules.policy_url}"


def scamsniffer_json(rules: LinkRules) -> bytes:
    return _dump(wallet_hosts(rules))


def adblock(rules: LinkRules) -> bytes:
    header = [f"! Title: {rules.project} lookalike hosts",
              f"! Description: hosts imitating the links of signed policy {rules.policy_slug} version "
              f"{rules.policy_version}",
              f"! Homepage: {rules.policy_url}"]
    return ("\n".join([*header, *(f"||{host}^" for host in all_hosts(rules))]) + "\n").encode()


def export(rules: LinkRules, official: OfficialLinks, fmt: str, options: AutomodOptions | None = None) -> bytes:
    """The export ``fmt`` of ``rules``; ValueError for an unknown format or a bad Discord option."""
    if fmt == "json":
        return bot_rules(official)
    if fmt == "rules":
        return _dump(msgspec.to_builtins(rules))
    if fmt == "discord-automod":
        return encode_automod(automod_rules(rules, options or AutomodOptions()))
    writers = {"metamask-issue": metamask_issue, "phantom-yaml": phantom_yaml, "scamsniffer-json": scamsniffer_json,
               "adblock": adblock}
    if fmt not in writers:
        raise ValueError(f"format: expected one of {', '.join(EXPORT_FORMATS)}")
    return writers[fmt](rules)
