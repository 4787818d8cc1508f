"""Rule documentation comes from one place, each rule's own module, and says everything a user needs."""

import os
import re
from pathlib import Path

import pytest

from kamalguard.docs import rules_markdown, rules_reference
from kamalguard.rules import all_rules

from .conftest import ROOT, run_cli

README = Path(ROOT) / "README.md"
REFERENCE = Path(ROOT) / "docs" / "rules.md"
TABLE = re.compile(r"(<!-- rules:start -->\n)(.*?)(<!-- rules:end -->)", re.S)
RULES = all_rules()


def test_readme_rules_table_is_generated_from_the_rules():
    text = README.read_text()
    if os.environ.get("KAMALGUARD_UPDATE_README") == "1":
        README.write_text(TABLE.sub(lambda m: m.group(1) + rules_markdown() + m.group(3), text))
        text = README.read_text()
    table = TABLE.search(text)
    assert table is not None
    assert table.group(2) == rules_markdown(), "run KAMALGUARD_UPDATE_README=1 pytest tests/test_docs.py"


def test_rules_reference_page_is_generated_from_the_rules():
    if os.environ.get("KAMALGUARD_UPDATE_README") == "1":
        REFERENCE.parent.mkdir(exist_ok=True)
        REFERENCE.write_text(rules_reference())
    assert REFERENCE.read_text() == rules_reference(), "run KAMALGUARD_UPDATE_README=1 pytest tests/test_docs.py"
    for rule in RULES:  # SARIF and markdown link each finding to its rule's section of this page
        assert rule.help_uri.endswith(f"docs/rules.md#{rule.id.lower()}-{rule.slug}")
        assert f"## {rule.id} {rule.slug}\n" in REFERENCE.read_text()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_is_documented(rule):
    assert re.fullmatch(r"KG\d{3}", rule.id) and re.fullmatch(r"[a-z0-9-]+", rule.slug)
    assert rule.summary and not rule.summary.endswith(".")
    assert len(rule.docs) > 200, "docs should say what the rule checks, why, and how to fix it"
    assert rule.failing is not None and rule.passing is not None
    assert rule.references, "cite the documentation or benchmark the rule follows"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_explain_prints_the_rule(rule):
    result = run_cli("explain", rule.id.lower())
    assert result.exit_code == 0
    assert result.output.startswith(f"{rule.id} {rule.slug} [{rule.severity}]")
    assert "Fails:" in result.output and "Passes:" in result.output


def test_explain_unknown_rule_is_a_usage_error():
    result = run_cli("explain", "KG999")
    assert result.exit_code == 2 and "kamalguard rules" in result.output


def test_rules_ids_and_slugs_are_unique():
    assert len({r.id for r in RULES}) == len(RULES) and len({r.slug for r in RULES}) == len(RULES)


@pytest.mark.parametrize("snippet", ["github-workflow.yml", "pre-commit-config.yml", "gitlab-ci.yml"])
def test_readme_ci_snippets_are_the_validated_ones(snippet):
    """tests/test_integrations.py validates these files against the CI systems' schemas; the README shows them."""
    text = (Path(ROOT) / "tests" / "data" / snippet).read_text()
    assert text.strip() in README.read_text()


README_EXAMPLES = [
    (r"```console\n\$ kamalguard check samples/rails-default\n(.*?)```", ["check", "samples/rails-default"]),
    (r"the diff is:\n\n```diff\n(.*?)```", ["fix", "--unsafe-fixes", "samples/rails-default"]),
]


@pytest.mark.parametrize(("block", "args"), README_EXAMPLES, ids=["check", "fix"])
def test_readme_examples_show_what_kamalguard_prints(block, args):
    """Every line a README example shows (`...` elides some) is printed, in that order."""
    shown = re.search(block, README.read_text(), re.S)
    assert shown is not None
    printed = iter(run_cli(*args, cwd=ROOT).output.splitlines())
    for line in shown.group(1).splitlines():
        if line != "...":
            assert line in printed, f"README shows a line kamalguard no longer prints: {line}"
