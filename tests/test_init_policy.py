"""`kamalguard init`: a starter policy that turns today's findings into exclusions, so the gate passes at once."""

from __future__ import annotations

import json
import os

import pytest

from kamalguard.policy import load

from .conftest import check_json, run_cli, write_project

# What `rails new` (Rails 8) generates, trimmed: the project a team adopts kamalguard on.
RAILS_DEPLOY = """\
# Name of your application. Used to uniquely configure containers.
service: myapp

# Name of the container image.
image: myorg/myapp

# Deploy to these servers.
servers:
  web:
    - 192.168.0.1
  job:
    hosts:
      - 192.168.0.1
    cmd: bin/jobs

proxy:
  ssl: true
  host: app.example.com

registry:
  username: myorg
  password:
    - KAMAL_REGISTRY_PASSWORD

env:
  secret:
    - RAILS_MASTER_KEY
  clear:
    SOLID_QUEUE_IN_PUMA: true

aliases:
  console: app exec --interactive --reuse "bin/rails console"

volumes:
  - "myapp_storage:/rails/storage"

asset_path: /rails/public/assets

builder:
  arch: amd64

accessories:
  db:
    image: mysql:8.0
    host: 192.168.0.2
    port: "127.0.0.1:3306:3306"
    env:
      secret:
        - MYSQL_ROOT_PASSWORD
    directories:
      - data:/var/lib/mysql
"""
RAILS_DOCKERFILE = """\
ARG RUBY_VERSION=3.3.6
FROM ruby:$RUBY_VERSION-slim AS base
WORKDIR /rails
ENV RAILS_ENV="production"
FROM base AS build
RUN bundle install
FROM base
COPY --from=build /rails /rails
RUN useradd rails --create-home --shell /bin/bash
USER 1000:1000
ENTRYPOINT ["/rails/bin/docker-entrypoint"]
CMD ["./bin/thrust", "./bin/rails", "server"]
"""
RAILS = {
    "config/deploy.yml": RAILS_DEPLOY,
    "Dockerfile": RAILS_DOCKERFILE,
    ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\nRAILS_MASTER_KEY=$(cat config/master.key)\n"
                      "MYSQL_ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD\n",
}


def read(folder: str, name: str = ".kamalguard.yml") -> str:
    with open(os.path.join(folder, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def rails(tmp_path):
    return write_project(tmp_path, RAILS)


def test_init_then_check_passes_with_every_finding_suppressed(rails):
    before = check_json(rails)
    assert before["findings"] and {"KG101", "KG103", "KG106"} <= {f["rule"] for f in before["findings"]}
    result = run_cli("init", cwd=rails)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote .kamalguard.yml: recorded ")

    checked = run_cli("check", cwd=rails)
    assert checked.exit_code == 0, checked.output
    after = check_json(rails)
    assert len(after["findings"]) == len(before["findings"])
    assert all(f["suppressed"] and f["suppressed"].startswith("TODO") for f in after["findings"])
    assert after["summary"]["suppressed"] == len(after["findings"])


def test_findings_become_per_role_and_per_accessory_exclusions(rails):
    run_cli("init", cwd=rails)
    policy = load(os.path.join(rails, ".kamalguard.yml"))
    by_owner = {(e.role, e.accessory): e for e in policy.exclude}
    assert {"KG101", "KG103", "KG105", "KG106"} <= set(by_owner[("web", None)].rules)
    assert {"KG101", "KG103"} <= set(by_owner[("job", None)].rules)
    assert {"KG101", "KG106"} <= set(by_owner[(None, "db")].rules)
    rule_wide = by_owner[(None, None)]  # builder.cache belongs to no container: excluded by rule
    assert "KG119" in rule_wide.rules and "KG101" not in rule_wide.rules
    assert all(e.reason.startswith("TODO") for e in policy.exclude)


def test_each_excluded_rule_is_one_line_to_delete(rails):
    run_cli("init", cwd=rails)
    text = read(rails)
    assert "      - KG101  # read-only-rootfs [warning]\n" in text


def test_refuses_to_overwrite_without_force(rails):
    run_cli("init", cwd=rails)
    path = os.path.join(rails, ".kamalguard.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("ignore: [KG119]\n")
    result = run_cli("init", cwd=rails)
    assert result.exit_code == 2
    assert ".kamalguard.yml: a policy already exists" in result.output and "--force" in result.output
    assert read(rails) == "ignore: [KG119]\n"

    forced = run_cli("init", "--force", cwd=rails)
    assert forced.exit_code == 0 and "exclude:" in read(rails)
    assert run_cli("check", cwd=rails).exit_code == 0


def test_refuses_when_pyproject_holds_the_policy(tmp_path):
    folder = write_project(tmp_path, {**RAILS, "pyproject.toml": "[tool.kamalguard]\nignore = ['KG119']\n"})
    result = run_cli("init", cwd=folder)
    assert result.exit_code == 2 and "pyproject.toml: a policy already exists" in result.output
    forced = run_cli("init", "--force", cwd=folder)
    assert forced.exit_code == 0 and "takes precedence over [tool.kamalguard] in pyproject.toml" in forced.output


def test_init_takes_a_path_and_records_a_destination(tmp_path):
    overlay = "accessories:\n  cache:\n    image: redis:7\n    host: 192.168.0.3\n"
    folder = write_project(tmp_path / "app", {**RAILS, "config/deploy.staging.yml": overlay})
    result = run_cli("init", str(folder), "-d", "staging", cwd=str(tmp_path))
    assert result.exit_code == 0, result.output
    policy = load(os.path.join(folder, ".kamalguard.yml"))
    assert any(e.accessory == "cache" for e in policy.exclude)  # only the destination has it
    assert run_cli("check", "-d", "staging", cwd=folder).exit_code == 0
    assert run_cli("check", cwd=folder).exit_code == 0


def test_the_commented_settings_are_the_defaults_and_valid(rails):
    from kamalguard.rules import all_rules

    run_cli("init", cwd=rails)
    text = read(rails)
    commented = text[text.index("# rules:"):]
    uncommented = "".join(line[2:] + "\n" for line in commented.splitlines())
    path = os.path.join(rails, "uncommented.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(uncommented)
    settings = load(path).rules  # valid against the schema
    for rule in all_rules():
        for name, default in rule.settings.items():
            if default is not None:
                assert settings[rule.id][name] == default, (rule.id, name)
            else:
                assert settings[rule.id][name] is not None  # an example value, shown as such


def test_odd_role_names_are_quoted(tmp_path):
    deploy = RAILS_DEPLOY.replace("  job:\n", "  \"yes\":\n").replace("  web:\n    - 192.168.0.1\n",
                                                                      "  web:\n    - 192.168.0.1\n  \"1\":\n"
                                                                      "    - 192.168.0.4\n")
    folder = write_project(tmp_path, {**RAILS, "config/deploy.yml": deploy})
    run_cli("init", cwd=folder)
    owners = {e.role for e in load(os.path.join(folder, ".kamalguard.yml")).exclude}
    assert {"yes", "1", "web"} <= owners
    assert run_cli("check", cwd=folder).exit_code == 0


def test_structural_errors_are_recorded_and_called_out(tmp_path):
    deploy = RAILS_DEPLOY.replace("builder:\n  arch: amd64\n", "builder:\n  arch: amd64\n  multiarch: false\n")
    folder = write_project(tmp_path, {**RAILS, "config/deploy.yml": deploy})
    result = run_cli("init", cwd=folder)
    assert "KG003" in result.output or "KG006" in result.output
    assert "Kamal itself rejects this config, fix those first" in result.output
    assert run_cli("check", cwd=folder).exit_code == 0


def test_a_project_without_findings(tmp_path):
    from kamalguard.init_policy import starter_policy

    text = starter_policy([])
    assert "\nexclude:" not in text and "# exclude:" in text
    path = tmp_path / ".kamalguard.yml"
    path.write_text(text, encoding="utf-8")
    assert load(str(path)).exclude == []


def test_stdin_and_missing_projects_are_usage_errors(tmp_path):
    assert run_cli("init", "-", cwd=str(tmp_path)).exit_code == 2
    result = run_cli("init", cwd=str(tmp_path))
    assert result.exit_code == 2 and "without config/deploy.yml" in result.output


def test_the_json_report_carries_the_todo_reason(rails):
    run_cli("init", cwd=rails)
    result = run_cli("check", "--format", "json", cwd=rails)
    report = json.loads(result.output)
    web = [f for f in report["findings"] if f["role"] == "web" and f["rule"] == "KG101"]
    assert web and web[0]["suppressed"].startswith("TODO")
