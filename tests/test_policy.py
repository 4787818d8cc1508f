"""The policy file (.kamalguard.yml): its schema knows every rule setting, and mistakes are reported with a line."""

from __future__ import annotations

import json

import pytest

from kamalguard.policy import schema
from kamalguard.rules import all_rules

from .conftest import run_cli, write_project

DEPLOY = """\
service: myapp
image: myorg/myapp
registry:
  username: myorg
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
servers:
  - 192.0.2.10
"""


def test_the_schema_lists_exactly_the_settings_the_rules_declare():
    described = schema()["properties"]["rules"]["properties"]
    declared = {r.id: set(r.settings) for r in all_rules() if r.settings}
    assert {rule: set(spec["properties"]) for rule, spec in described.items()} == declared
    for spec in described.values():
        assert spec["additionalProperties"] is False
        assert all(setting.get("description") for setting in spec["properties"].values())


def test_every_default_is_valid_against_the_schema():
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    settings = {r.id: {k: v for k, v in r.settings.items() if v is not None} for r in all_rules() if r.settings}
    assert not list(validator.iter_errors({"rules": settings}))


def check(tmp_path, policy: str):
    folder = write_project(tmp_path, {"config/deploy.yml": DEPLOY, ".kamalguard.yml": policy})
    return run_cli("check", cwd=folder)


def test_a_misspelt_setting_is_rejected_with_its_line(tmp_path):
    result = check(tmp_path, "# team policy\nrules:\n  KG102:\n    writeable_paths: [/tmp]\n")
    assert result.exit_code == 2
    assert ".kamalguard.yml:4:5: rules/KG102: unknown setting: 'writeable_paths' was unexpected" in result.output


def test_a_misspelt_rule_id_is_rejected(tmp_path):
    result = check(tmp_path, "rules:\n  KG1O6:\n    default: 1g\n")
    assert result.exit_code == 2 and ".kamalguard.yml:2:3:" in result.output


@pytest.mark.parametrize("policy, line", [
    ("rules:\n  KG106:\n    default: lots\n", 3),
    ("rules:\n  KG112:\n    default: 0\n", 3),
    ("rules:\n  KG117:\n    required: [amd64, riscv64]\n", 3),
    ("rules:\n  KG102:\n    writable_paths: [tmp]\n", 3),
    ("rules:\n  KG102:\n    image_writable_paths:\n      postgres: /tmp\n", 4),
])
def test_invalid_values_are_rejected_with_their_line(policy, line, tmp_path):
    result = check(tmp_path, policy)
    assert result.exit_code == 2 and f".kamalguard.yml:{line}:" in result.output, result.output


def test_valid_settings_are_accepted(tmp_path):
    policy = {"rules": {"KG102": {"writable_paths": ["<WORKDIR>/tmp", "/tmp", "/rails/log"],
                                  "image_writable_paths": {"postgres": ["/var/run/postgresql", "/tmp"]}},
                        "KG104": {"allowed": ["NET_BIND_SERVICE", "cap_chown"]},
                        "KG106": {"default": "768m", "maximum": "4GiB"}, "KG112": {"default": 300},
                        "KG114": {"extra_flags": ["new-flag"]}, "KG117": {"required": ["amd64"]}}}
    assert check(tmp_path, json.dumps(policy)).exit_code in (0, 1)


def test_pyproject_settings_are_validated_too(tmp_path):
    folder = write_project(tmp_path, {"config/deploy.yml": DEPLOY,
                                      "pyproject.toml": "[tool.kamalguard]\nrules = {KG106 = {maximum = 'big'}}\n"})
    result = run_cli("check", cwd=folder)
    assert result.exit_code == 2 and "rules/KG106/maximum" in result.output


def test_pyproject_policy_found_through_subtables_alone(tmp_path):
    from .conftest import VALID, check_json, write_project

    project = write_project(tmp_path, {"config/deploy.yml": VALID,
                                       "pyproject.toml": '[project]\nname = "app"\n\n[tool.kamalguard.severity]\n'
                                                         'KG101 = "error"\n'})
    assert {f["severity"] for f in check_json(project, "--select", "KG101")["findings"]} == {"error"}
