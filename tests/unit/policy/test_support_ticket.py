"""Support-ticket imitations in issue texts shaped like the clone repositories' replies (our own samples)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy.document import parse_document
from policy.links import official_links
from policy.scan import scan_text

SAMPLES = Path(__file__).parents[2] / "fixtures" / "clone_issues"
POLICY = (b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
          b'expires = 2027-06-01T00:00:00Z\nprev = ""\n[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
          b'+++\nbody\n')
OFFICIAL = official_links(parse_document(POLICY))


@pytest.mark.parametrize(("sample", "host", "user"), [
    ("live_chat_reply.md", "example-migration-helpdesk.com", "holder-42"),
    ("masked_support_link.md", "desk-validate.app", "tangem-user"),
    ("html_anchor_reply.md", "wallet-rectify.net", "alice-w"),
])
def test_clone_replies_are_flagged_with_the_user_and_host(sample: str, host: str, user: str) -> None:
    result = scan_text((SAMPLES / sample).read_text(), OFFICIAL)
    assert len(result.impersonation) == 1 and host in result.impersonation[0] and f"@{user}" in result.impersonation[0]
    flagged = [link for link in result.links if host in link.url]
    assert flagged and all(link.verdict == "lookalike" and "support ticket" in link.reasons[0] for link in flagged)
    assert result.lookalikes == len(flagged)


@pytest.mark.parametrize("sample", ["genuine_reply.md", "genuine_no_mention.md"])
def test_genuine_replies_are_not_flagged(sample: str) -> None:
    result = scan_text((SAMPLES / sample).read_text(), OFFICIAL)
    assert result.impersonation == [] and result.lookalikes == 0


def test_an_official_link_in_a_ticket_reply_stays_official() -> None:
    text = "@bob we opened a support ticket; the live chat is at https://portal.example.org/help"
    result = scan_text(text, OFFICIAL)
    assert result.impersonation == [] and result.links[0].verdict == "official"


@given(user=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True),
       words=st.sampled_from(["live chat", "Live Support", "support ticket", "help desk", "open a ticket"]),
       host=st.from_regex(r"[a-z]{3,12}-(help|desk|chat)\.(com|xyz|app)", fullmatch=True))
def test_any_tag_desk_words_and_foreign_host_is_flagged(user: str, words: str, host: str) -> None:
    result = scan_text(f"Hi @{user}, please use our {words} here: https://{host}/start", OFFICIAL)
    assert result.impersonation and result.links[0].verdict == "lookalike"


def test_portal_links_scan_runs_over_an_issue_export(tmp_path: Path) -> None:
    policy = tmp_path / "official.md"
    policy.write_bytes(POLICY)
    run = [sys.executable, "-m", "portal", "links", "scan", "--policy", str(policy), "--file"]
    flagged = subprocess.run([*run, str(SAMPLES / "live_chat_reply.md")], capture_output=True, text=True)
    clean = subprocess.run([*run, str(SAMPLES / "genuine_reply.md")], capture_output=True, text=True)
    assert flagged.returncode == 1 and "imitating a support ticket" in flagged.stdout
    assert clean.returncode == 0 and '"impersonation":[]' in clean.stdout
