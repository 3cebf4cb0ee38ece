"""The link rule exports against each consumer's documented limits and shapes, with thousands of lookalikes.

Discord's regexes are compiled by ``rure`` (the Rust ``regex`` crate's C API), the engine Discord's
dialect is; the wallet lists are parsed as their consumers parse them (YAML, JSON, one host a line).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import idna
import pytest
import rure
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.discord_automod import (
    BLOCK_MEMBER_INTERACTION,
    LIMITS,
    TRIGGER_KEYWORD,
    TRIGGER_MEMBER_PROFILE,
    AutomodOptions,
    automod_rules,
    curl_script,
    length,
    official_urls,
    rust_regex_error,
)
from policy.document import parse_document
from policy.link_exports import EXPORT_FORMATS, export, wallet_hosts
from policy.link_rules import blocks_official, build_rules, generate_lookalikes, link_patterns, to_ascii
from policy.links import check_link, official_links

DOC = parse_document(
    b'+++\nslug = "official"\nversion = 3\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
    b'expires = 2027-06-01T00:00:00Z\nprev = "' + b"a" * 64 + b'"\n'
    b'[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
    b'[[links]]\nlabel = "Docs"\nurl = "https://docs.example.org/migration"\n'
    b'[[links]]\nlabel = "Demo"\nurl = "http://127.0.0.1:8000/"\n+++\nbody\n')
OFFICIAL = official_links(DOC)
POLICY_URL = "https://portal.example.org/policy/official"
GENERATED = generate_lookalikes(OFFICIAL)
# Thousands of hosts as if staff had confirmed them all: every list at full size.
MANY = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL,
                   seen=[item.ascii for item in GENERATED] + [f"claim-{n}.example-migrate.xyz" for n in range(3000)])
OPTIONS = AutomodOptions(alert_channel="123456789012345678", exempt_roles=("223456789012345678",),
                         timeout_seconds=3600, keyword_rules=6)


def test_the_generator_makes_a_thousand_lookalikes_the_checker_agrees_with() -> None:
    assert len(GENERATED) >= 1000 and len(MANY.lookalikes) >= 4000
    assert any(not item.host.isascii() for item in GENERATED)  # homoglyph (IDN) hosts among them
    for item in GENERATED:
        assert check_link(f"https://{item.ascii}/", OFFICIAL).verdict == "lookalike", item
        assert item.ascii.isascii() and to_ascii(item.host) == item.ascii
        assert not blocks_official(item.ascii, OFFICIAL)


def test_no_export_names_or_blocks_an_official_host() -> None:
    forbidden = {"portal.example.org", "docs.example.org", "example.org", "127.0.0.1"}
    seen_bad = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL,
                           seen=["portal.example.org", "example.org", "EXAMPLE.ORG.", "docs.example.org", "org",
                                 "127.0.0.1", "sub.example.org", "evil.io"])
    assert [item.ascii for item in seen_bad.lookalikes if item.source == "seen"] == ["evil.io"]
    for fmt in EXPORT_FORMATS[2:]:
        body = export(MANY, OFFICIAL, fmt, OPTIONS).decode()
        if fmt == "discord-automod":
            rules = json.loads(body)["rules"]
            words = [w.strip("*") for r in rules[:-1] for w in r["trigger_metadata"]["keyword_filter"]]
            assert not [w for w in words if any(w in host for host in forbidden)]
        else:
            hosts = _hosts(fmt, body)
            assert hosts and not set(hosts) & forbidden
            assert not [h for h in hosts if any(o == h or o.endswith("." + h) for o in forbidden)]


def _hosts(fmt: str, body: str) -> list[str]:
    if fmt == "phantom-yaml":
        entries = yaml.safe_load(body)
        assert all(set(entry) == {"url", "description"} and entry["description"] for entry in entries)
        return [entry["url"] for entry in entries]
    if fmt == "scamsniffer-json":
        hosts = json.loads(body)
        assert isinstance(hosts, list) and all(isinstance(h, str) for h in hosts)
        return hosts
    if fmt == "adblock":
        lines = [line for line in body.splitlines() if not line.startswith("!")]
        assert all(line.startswith("||") and line.endswith("^") for line in lines)
        return [line[2:-1] for line in lines]
    assert fmt == "metamask-issue"
    urls = body.split("**URLs:**\n\n", 1)[1].split("\n\n**Description:**", 1)[0]
    assert "fuzzylist" not in body
    return urls.splitlines()


@pytest.mark.parametrize("fmt", ["metamask-issue", "phantom-yaml", "scamsniffer-json", "adblock"])
def test_blocklists_are_punycode_hosts_sorted_and_the_wallet_lists_only_confirmed(fmt: str) -> None:
    hosts = _hosts(fmt, export(MANY, OFFICIAL, fmt).decode())
    assert hosts == sorted(set(hosts))
    for host in hosts:
        assert host.isascii() and host == host.lower() and idna.encode(idna.decode(host)).decode() == host
    assert any(host.startswith("xn--") or ".xn--" in host for host in hosts)
    only_generated = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL, seen=["xn--exmple-cua.io"])
    listed = _hosts(fmt, export(only_generated, OFFICIAL, fmt).decode())
    assert (listed == ["xn--exmple-cua.io"]) == (fmt != "adblock")  # wallets: confirmed only; ad-block: all
    assert wallet_hosts(only_generated) == ["xn--exmple-cua.io"]


def test_every_export_is_deterministic_bytes() -> None:
    again = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL,
                        seen=reversed([item.ascii for item in MANY.lookalikes]))
    for fmt in EXPORT_FORMATS:
        assert export(MANY, OFFICIAL, fmt, OPTIONS) == export(again, OFFICIAL, fmt, OPTIONS), fmt


def test_discord_rules_fit_every_documented_limit() -> None:
    result = automod_rules(MANY, OPTIONS)
    keyword_rules = [r for r in result.rules if r["trigger_type"] == TRIGGER_KEYWORD]
    profile_rules = [r for r in result.rules if r["trigger_type"] == TRIGGER_MEMBER_PROFILE]
    assert 1 < len(keyword_rules) <= LIMITS["keyword_rules"] and len(profile_rules) == 1
    for rule in result.rules:
        meta = rule["trigger_metadata"]
        assert len(meta["keyword_filter"]) <= 1000 and all(length(k) <= 60 for k in meta["keyword_filter"])
        assert len(meta["regex_patterns"]) <= 10 and all(length(p) <= 260 for p in meta["regex_patterns"])
        assert len(meta["allow_list"]) <= 100 and all(length(a) <= 60 for a in meta["allow_list"])
        assert all(rust_regex_error(p) is None for p in meta["regex_patterns"])
        assert rule["exempt_roles"] == ["223456789012345678"] and rule["enabled"] is True
        assert length(rule["name"]) <= LIMITS["rule_name_chars"]
        assert {"type": 2, "metadata": {"channel_id": "123456789012345678"}} in rule["actions"]
    for rule in keyword_rules:
        assert rule["event_type"] == 1 and rule["trigger_metadata"]["allow_list"] == sorted(
            ["docs.example.org", "portal.example.org", "127.0.0.1"])
        block = next(a for a in rule["actions"] if a["type"] == 1)
        assert length(block["metadata"]["custom_message"]) <= 150 and POLICY_URL in block["metadata"]["custom_message"]
        assert {"type": 3, "metadata": {"duration_seconds": 3600}} in rule["actions"]
    assert profile_rules[0]["event_type"] == 2 and {"type": BLOCK_MEMBER_INTERACTION} in profile_rules[0]["actions"]
    assert result.keywords == sum(len(r["trigger_metadata"]["keyword_filter"]) for r in keyword_rules)


def test_when_the_guild_has_less_room_the_generated_hosts_are_left_out_first() -> None:
    result = automod_rules(MANY, AutomodOptions(keyword_rules=2))
    words = [w for r in result.rules[:-1] for w in r["trigger_metadata"]["keyword_filter"]]
    assert len(words) == 2000 and any("past what 2 rules hold" in note for note in result.omitted)
    seen_first = [item for item in MANY.lookalikes if item.source == "seen"][:900]
    assert all(f"*{item.ascii}*" in words for item in seen_first)


def test_discord_regexes_catch_the_tricks_and_never_an_official_link() -> None:
    compiled = [rure.compile(p) for r in automod_rules(MANY, OPTIONS).rules[:-1]
                for p in r["trigger_metadata"]["regex_patterns"]]
    for url in [*official_urls(MANY), "http://127.0.0.1:8000/", "https://docs.example.org/migration#x"]:
        assert not [p.pattern for p in compiled if p.search(url)], url
    for trick in ["https://portal.example.org@evil.io/", "see https://93.184.216.34/claim", "https://3639556130/",
                  "https://[2001:db8::1]/", "http://portal.example.org/claim", "https://portal.example.org.evil.io/",
                  "https://example-migration.com/", "https://portal-example.org.claims.io/", "https://myexample.io"]:
        assert any(p.search(trick) for p in compiled), trick


def test_the_member_profile_rule_catches_staff_names() -> None:
    profile = automod_rules(MANY, OPTIONS).rules[-1]["trigger_metadata"]
    compiled = [rure.compile(p) for p in profile["regex_patterns"]]
    assert {"example support", "admin", "support"} <= set(profile["keyword_filter"])
    for name in ["Example Support", "ex4mple_admin", "EXAMPLE-team", "Supp0rt", "4dmin | Example", "Moderator"]:
        assert any(p.search(name) for p in compiled), name
    for name in ["alice", "supporter of cats", "bob.eth"]:
        assert not any(p.search(name) for p in compiled), name


@pytest.mark.parametrize(("pattern", "why"), [(r"a(?=b)", "look-around"), (r"(?<!x)a", "look-around"),
                                              (r"(a)\1", "backreferences"), (r"a{2", "")])
def test_the_rust_dialect_refuses_what_discord_refuses(pattern: str, why: str) -> None:
    error = rust_regex_error(pattern)
    assert error is not None and why in error


@settings(max_examples=60, deadline=None)
@given(name=st.from_regex(r"[a-z][a-z0-9]{3,12}", fullmatch=True), tld=st.sampled_from(["org", "io", "co.uk", "app"]),
       sub=st.sampled_from(["portal", "docs", "claim"]))
def test_link_regexes_for_any_official_name_compile_and_spare_official_hosts(name: str, tld: str, sub: str) -> None:
    doc = parse_document(
        b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
        b'expires = 2027-06-01T00:00:00Z\nprev = ""\n'
        + f'[[links]]\nlabel = "P"\nurl = "https://{sub}.{name}.{tld}/"\n+++\n'.encode())
    official = official_links(doc)
    for pattern in link_patterns(official):
        assert rust_regex_error(pattern.regex) is None, pattern
        compiled = rure.compile(pattern.regex)
        for url in (f"https://{sub}.{name}.{tld}/x", f"https://{name}.{tld}", f"https://{sub}.{name}.{tld}."):
            assert not compiled.search(url), (pattern, url)
    inside = rure.compile(next(p.regex for p in link_patterns(official) if p.name.startswith("name-inside")))
    assert inside.search(f"https://{name}-claim.com/") and inside.search(f"https://{sub}.{name}.{tld}.evil.io/")


@pytest.mark.parametrize(("options", "field"), [
    (AutomodOptions(alert_channel="general"), "alert_channel"), (AutomodOptions(exempt_roles=("1",)), "exempt_roles"),
    (AutomodOptions(timeout_seconds=2_419_201), "timeout_seconds"), (AutomodOptions(keyword_rules=7), "keyword_rules"),
    (AutomodOptions(exempt_roles=tuple(str(10**17 + n) for n in range(21))), "exempt_roles")])
def test_options_out_of_discord_range_are_refused_by_name(options: AutomodOptions, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        automod_rules(MANY, options)


def test_the_curl_script_is_valid_shell_posting_each_body() -> None:
    result = automod_rules(MANY, OPTIONS)
    script = curl_script(result)
    subprocess.run(["sh", "-n"], input=script.encode(), check=True)
    commands = [line for line in script.splitlines() if line.startswith("curl ")]
    assert len(commands) == len(result.rules)
    for command, body in zip(commands, result.rules, strict=True):
        words = shlex.split(command)
        assert words[words.index("--data-binary") + 1] and json.loads(words[words.index("--data-binary") + 1]) == body
        assert "https://discord.com/api/v10/guilds/$GUILD_ID/auto-moderation/rules" in words


@settings(max_examples=100, deadline=None)
@given(label=st.text(alphabet=st.sampled_from("exampl0123-аеорсхіј"), min_size=3, max_size=20),
       tld=st.sampled_from(["com", "io", "xyz"]))
def test_seen_hosts_round_trip_through_punycode(label: str, tld: str) -> None:
    rules = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL, seen=[f"{label}.{tld}"],
                        generate=False)
    for item in rules.lookalikes:
        assert item.ascii == to_ascii(item.host) and idna.decode(item.ascii) == item.host
        assert json.loads(export(rules, OFFICIAL, "scamsniffer-json")) == [item.ascii]


def test_portal_links_export_prints_the_curl_commands_the_readme_shows(tmp_path: Path) -> None:
    policy = tmp_path / "official.md"
    policy.write_bytes(DOC.raw)
    run = subprocess.run([sys.executable, "-m", "portal", "links", "export", "--policy", str(policy), "--format",
                          "discord-automod", "--alert-channel", "123456789012345678", "--curl"],
                         capture_output=True, text=True, check=True)
    rules = build_rules(OFFICIAL, policy=("official", 3), policy_url=POLICY_URL)
    assert run.stdout == curl_script(automod_rules(rules, AutomodOptions(alert_channel="123456789012345678")))
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    shown = 'curl --fail-with-body -sS -X POST "https://discord.com/api/v10/guilds/$GUILD_ID/auto-moderation/rules"'
    assert shown in readme and shown in run.stdout
    bad = subprocess.run([sys.executable, "-m", "portal", "links", "export", "--policy", str(policy), "--format",
                          "discord-automod", "--exempt-role", "moderators"], capture_output=True, text=True)
    assert bad.returncode == 2 and "exempt_roles" in bad.stderr
