"""Discord AutoMod rule bodies from the link rules: what ``POST /guilds/{id}/auto-moderation/rules`` takes.

Discord's documented limits (``LIMITS``): at most 6 KEYWORD rules and 1 MEMBER_PROFILE rule per
guild; per rule ≤ 1000 keywords of ≤ 60 characters (``*`` wildcards count), ≤ 10 regexes of ≤ 260
characters in the Rust ``regex`` dialect, ≤ 100 allow-list entries of ≤ 60 characters, ≤ 20 exempt
roles, ≤ 50 exempt channels; a BLOCK_MESSAGE ``custom_message`` ≤ 150 characters; a TIMEOUT of at
most four weeks. Lengths are counted in UTF-16 code units (as JavaScript counts them), never fewer
than Discord's characters.

Every regex is compiled by ``rure``, the Python binding of the Rust ``regex`` crate's C API, and is
dropped (and named in ``omitted``) when it fails there, is too long, or matches an official URL. The
keywords are ``*host*`` (anywhere in a word) for each lookalike, in punycode and, for IDN hosts, in
Unicode too (what a pasted link shows). Seen hosts come first, so when the lookalikes outnumber the
guild's room the generated ones are the ones left out. Nothing here talks to Discord.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable

import msgspec
import rure

from policy.link_rules import LinkRules, RulePattern, to_ascii

LIMITS = {"keyword_rules": 6, "member_profile_rules": 1, "keywords": 1000, "keyword_chars": 60,
          "regex_patterns": 10, "regex_chars": 260, "allow_list": 100, "allow_chars": 60,
          "exempt_roles": 20, "exempt_channels": 50, "custom_message_chars": 150,
          "timeout_seconds": 2_419_200, "rule_name_chars": 100}
TRIGGER_KEYWORD, TRIGGER_MEMBER_PROFILE = 1, 6
EVENT_MESSAGE_SEND, EVENT_MEMBER_UPDATE = 1, 2
BLOCK_MESSAGE, SEND_ALERT_MESSAGE, TIMEOUT, BLOCK_MEMBER_INTERACTION = 1, 2, 3, 4
SNOWFLAKE = re.compile(r"^[0-9]{17,20}$")
API_BASE = "https://discord.com/api/v10"


class AutomodOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the operator chooses: where alerts go, who is exempt, how long a timeout lasts, and how
    many of the guild's six KEYWORD rules these may take."""

    alert_channel: str | None = None
    exempt_roles: tuple[str, ...] = ()
    exempt_channels: tuple[str, ...] = ()
    timeout_seconds: int | None = None
    keyword_rules: int = LIMITS["keyword_rules"]


class AutomodExport(msgspec.Struct, frozen=True):
    rules: list[dict]  # the request bodies, in order
    omitted: list[str]  # what did not fit or failed a check, and why
    keywords: int  # how many keywords the rules carry


def length(text: str) -> int:
    """UTF-16 code units: what a JavaScript ``.length`` (and so Discord's validation) counts."""
    return len(text.encode("utf-16-le")) // 2


def rust_regex_error(pattern: str) -> str | None:
    """Why the Rust ``regex`` crate refuses ``pattern`` (look-around, back-references, bad syntax), or None."""
    try:
        rure.compile(pattern)
    except Exception as exc:  # rure raises RegexSyntaxError and RegexCompileError; both mean "refused"
        lines = [line.strip() for line in str(exc).splitlines() if line.strip().startswith("error:")]
        return lines[0].removeprefix("error:").strip() if lines else type(exc).__name__
    return None


def official_urls(rules: LinkRules) -> list[str]:
    """Official URLs as people post them, which no rule may match."""
    urls = []
    for host in rules.official_hosts:
        for form in {host, to_ascii(host) or host}:
            urls += [f"https://{form}", f"https://{form}/", f"https://{form}/claim?x=1", f"https://{form.upper()}/",
                     f"see https://{form}/ now", f"https://{form}:443/", f"https://{form}./"]
    return urls


def _valid_regexes(patterns: Iterable[RulePattern], protected: list[str], omitted: list[str]) -> list[str]:
    kept = []
    for pattern in patterns:
        error = rust_regex_error(pattern.regex)
        if error is None and length(pattern.regex) > LIMITS["regex_chars"]:
            error = f"{length(pattern.regex)} characters, over {LIMITS['regex_chars']}"
        if error is None:
            compiled = rure.compile(pattern.regex)
            hit = next((url for url in protected if compiled.search(url)), None)
            error = f"it matches the official {hit!r}" if hit else None
        if error is None:
            kept.append(pattern.regex)
        else:
            omitted.append(f"regex {pattern.name}: {error}")
    return kept


def keywords(rules: LinkRules, omitted: list[str]) -> list[str]:
    """``*host*`` for every lookalike (both forms of an IDN host), seen hosts first, no duplicates."""
    found: dict[str, None] = {}
    limit = LIMITS["keyword_chars"] - 2
    for lookalike in rules.lookalikes:
        for form in (lookalike.ascii, lookalike.host):
            if length(form) > limit:
                form = form[-limit:].lstrip(".-")  # the tail: it holds the registrable domain
                if any(form in host for host in rules.official_hosts):
                    omitted.append(f"keyword for {lookalike.ascii}: too long, and its tail is official")
                    continue
            found.setdefault(f"*{form}*", None)
    return list(found)


def custom_message(rules: LinkRules) -> str:
    """The sentence a blocked poster reads: not official, and where the signed official links are."""
    for text in (f"Blocked: not an official {rules.project} link. The official links are in the signed "
                 f"policy: {rules.policy_url}",
                 f"Not an official link. Official links: {rules.policy_url}",
                 "Not an official link. See the signed official policy."):
        if length(text) <= LIMITS["custom_message_chars"]:
            return text
    raise AssertionError("unreachable: the last message is short")


def _check_options(options: AutomodOptions) -> None:
    for name, ids in (("alert_channel", [options.alert_channel] if options.alert_channel else []),
                      ("exempt_roles", options.exempt_roles), ("exempt_channels", options.exempt_channels)):
        for value in ids:
            if not SNOWFLAKE.match(value):
                raise ValueError(f"{name}: {value!r} is not a Discord id (17 to 20 digits)")
    if len(options.exempt_roles) > LIMITS["exempt_roles"]:
        raise ValueError(f"exempt_roles: at most {LIMITS['exempt_roles']}")
    if len(options.exempt_channels) > LIMITS["exempt_channels"]:
        raise ValueError(f"exempt_channels: at most {LIMITS['exempt_channels']}")
    if options.timeout_seconds is not None and not 0 < options.timeout_seconds <= LIMITS["timeout_seconds"]:
        raise ValueError(f"timeout_seconds: 1 to {LIMITS['timeout_seconds']} (four weeks)")
    if not 1 <= options.keyword_rules <= LIMITS["keyword_rules"]:
        raise ValueError(f"keyword_rules: 1 to {LIMITS['keyword_rules']} (Discord allows six per guild)")


def _alert(options: AutomodOptions) -> list[dict]:
    return [{"type": SEND_ALERT_MESSAGE, "metadata": {"channel_id": options.alert_channel}}] \
        if options.alert_channel else []


def _common(options: AutomodOptions) -> dict:
    return {"enabled": True, "exempt_roles": sorted(options.exempt_roles),
            "exempt_channels": sorted(options.exempt_channels)}


def _allow_list(rules: LinkRules, omitted: list[str]) -> list[str]:
    allowed = sorted(h for h in rules.official_hosts if length(h) <= LIMITS["allow_chars"])
    omitted += [f"allow list: {h} is over {LIMITS['allow_chars']} characters"
                for h in rules.official_hosts if h not in allowed]
    if len(allowed) > LIMITS["allow_list"]:
        omitted.append(f"allow list: {len(allowed) - LIMITS['allow_list']} official hosts past the first 100")
    return allowed[:LIMITS["allow_list"]]


def automod_rules(rules: LinkRules, options: AutomodOptions) -> AutomodExport:
    """KEYWORD rules (as few as hold everything, at most ``keyword_rules``) and one MEMBER_PROFILE rule.

    Raises ValueError naming the option when an operator's option is out of Discord's range."""
    _check_options(options)
    omitted: list[str] = []
    protected = official_urls(rules)
    regexes = _valid_regexes(rules.link_patterns, protected, omitted)
    words = keywords(rules, omitted)
    per_rule, per_regex = LIMITS["keywords"], LIMITS["regex_patterns"]
    needed = max(1, -(-len(words) // per_rule), -(-len(regexes) // per_regex))
    count = min(needed, options.keyword_rules)
    if len(words) > count * per_rule:
        omitted.append(f"keywords: {len(words) - count * per_rule} lookalikes past what {count} rules hold "
                       "(generated ones go first)")
    if len(regexes) > count * per_regex:
        omitted.append(f"regexes: {len(regexes) - count * per_regex} past what {count} rules hold")
    actions = [{"type": BLOCK_MESSAGE, "metadata": {"custom_message": custom_message(rules)}}, *_alert(options)]
    if options.timeout_seconds:
        actions.append({"type": TIMEOUT, "metadata": {"duration_seconds": options.timeout_seconds}})
    allow = _allow_list(rules, omitted)
    bodies = []
    for index in range(count):
        bodies.append({
            "name": f"{rules.project}: lookalike links {index + 1}/{count}"[:LIMITS["rule_name_chars"]],
            "event_type": EVENT_MESSAGE_SEND, "trigger_type": TRIGGER_KEYWORD,
            "trigger_metadata": {"keyword_filter": words[index * per_rule:(index + 1) * per_rule],
                                 "regex_patterns": regexes[index * per_regex:(index + 1) * per_regex],
                                 "allow_list": allow},
            "actions": actions, **_common(options)})
    bodies.append(_member_profile(rules, options, omitted))
    kept = sum(len(body["trigger_metadata"]["keyword_filter"]) for body in bodies[:-1])
    return AutomodExport(rules=bodies, omitted=omitted, keywords=kept)


def _member_profile(rules: LinkRules, options: AutomodOptions, omitted: list[str]) -> dict:
    """Names and bios that claim to be staff; moderators are spared by ``exempt_roles``."""
    words = [w for w in rules.impersonator_words if length(w) <= LIMITS["keyword_chars"]][:LIMITS["keywords"]]
    regexes = _valid_regexes(rules.impersonator_patterns, [], omitted)[:LIMITS["regex_patterns"]]
    return {"name": f"{rules.project}: impersonator names"[:LIMITS["rule_name_chars"]],
            "event_type": EVENT_MEMBER_UPDATE, "trigger_type": TRIGGER_MEMBER_PROFILE,
            "trigger_metadata": {"keyword_filter": words, "regex_patterns": regexes, "allow_list": []},
            "actions": [{"type": BLOCK_MEMBER_INTERACTION}, *_alert(options)], **_common(options)}


def encode(export: AutomodExport) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8 (IDN keywords stay readable)."""
    return (json.dumps(msgspec.to_builtins(export), sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def curl_script(export: AutomodExport) -> str:
    """A shell script of one ``curl`` per rule, reading ``DISCORD_BOT_TOKEN`` and ``GUILD_ID``."""
    lines = ["#!/bin/sh", "# Creates the AutoMod rules; needs DISCORD_BOT_TOKEN (a bot with Manage Server)"
             " and GUILD_ID.", "set -eu"]
    for body in export.rules:
        data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        lines.append(f'curl --fail-with-body -sS -X POST "{API_BASE}/guilds/$GUILD_ID/auto-moderation/rules" '
                     '-H "Authorization: Bot $DISCORD_BOT_TOKEN" -H "Content-Type: application/json" '
                     f"--data-binary {shlex.quote(data)}")
    return "\n".join(lines) + "\n"
