"""The banner's "support never" rules come from the signed policy body, and only from its "never" section."""

from __future__ import annotations

from importlib import resources

from portal.domain.official import never_rules, not_eligible_text


def test_example_policy_rules() -> None:
    body = resources.files("policy").joinpath("example-official.md").read_text().split("+++", 2)[2]
    rules = never_rules(body)
    assert len(rules) == 4
    assert rules[1] == "Support never asks for your seed phrase, recovery words, private key, PIN or card backup."


def test_only_the_never_section_and_plain_text() -> None:
    body = ("# Title\n\n## Links\n\n- not a rule\n\n## We will **never**\n\n- ask for your `seed`\n"
            "- DM you\n  - nested detail\n\n## After\n\n- not a rule either\n")
    assert never_rules(body) == ("ask for your seed", "DM you")


def test_no_never_section() -> None:
    assert never_rules("# Policy\n\n- a link\n") == ()


def test_not_eligible_section_paragraphs() -> None:
    body = resources.files("policy").joinpath("example-official.md").read_text().split("+++", 2)[2]
    (text,) = not_eligible_text(body)
    assert text.startswith("The snapshot lists every address") and "\n" not in text
