"""Every rule's own documented examples: the failing one makes it fire, the passing one keeps it silent."""

import pytest

from kamalguard.rules import all_rules

from .conftest import check_json, rules_fired, write_project

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_failing_example_fires(rule, tmp_path):
    assert rule.failing is not None, f"{rule.id} has no failing example"
    args = ["-d", rule.failing.destination] if rule.failing.destination else []
    project = write_project(tmp_path, _with_policy(rule.failing))
    assert rule.id in rules_fired(check_json(project, *args))


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_passing_example_is_silent(rule, tmp_path):
    assert rule.passing is not None, f"{rule.id} has no passing example"
    args = ["-d", rule.passing.destination] if rule.passing.destination else []
    project = write_project(tmp_path, _with_policy(rule.passing))
    assert rule.id not in rules_fired(check_json(project, *args))


def _with_policy(example):
    files = dict(example.files)
    if example.policy is not None:
        import json

        files[".kamalguard.yml"] = json.dumps(example.policy)
    return files
