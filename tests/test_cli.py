"""`kamalguard check` as a user meets it: paths, destinations, output, exit codes."""

import json

import pytest

from kamalguard.cli import _use_color

from .conftest import VALID, check_json, rules_fired, run_cli, write_project


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, {"config/deploy.yml": VALID + "registy: {}\n"})


def test_text_output_names_file_line_column_and_shows_a_caret(project):
    result = run_cli("check", "--select", "KG003", cwd=project)
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0] == "config/deploy.yml:14:1: KG003 [error] unknown key `registy`; did you mean `registry`?"
    assert lines[1] == "    registy: {}"
    assert lines[2] == "    ^^^^^^^"
    assert lines[-1] == "1 file checked: 1 error, 0 warnings, 0 info"
    assert "\x1b[" not in result.output


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _use_color(None) is True
    assert _use_color("report.txt") is False
    monkeypatch.setenv("NO_COLOR", "")
    assert _use_color(None) is False


def test_json_output_follows_the_contract(project):
    report = check_json(project, "--select", "KG003")
    assert set(report) >= {"kamalguard", "files", "findings", "summary"}
    assert report["files"] == ["config/deploy.yml"]
    finding = report["findings"][0]
    assert finding == {
        "rule": "KG003", "slug": "unknown-key", "severity": "error",
        "message": "unknown key `registy`; did you mean `registry`?", "file": "config/deploy.yml",
        "line": 14, "column": 1, "end_line": 14, "end_column": 8, "path": "registy", "role": None,
        "accessory": None, "destination": None, "fix": None, "references": finding["references"],
        "suppressed": None,
    }
    assert report["summary"] == {"error": 1, "warning": 0, "info": 0, "fixable": 0, "suppressed": 0}


@pytest.mark.parametrize("args, code", [
    ([], 1), (["--fail-on", "never"], 0), (["--select", "KG1", "--fail-on", "error"], 0),
    (["--select", "KG1", "--fail-on", "warning"], 1), (["--select", "KG2,KG3", "--ignore", "KG2,KG3"], 0),
])
def test_exit_code_follows_fail_on(project, args, code):
    assert run_cli("check", *args, cwd=project).exit_code == code


def test_usage_errors_and_missing_files_exit_2(project):
    assert run_cli("check", "--format", "yaml", cwd=project).exit_code == 2
    result = run_cli("check", "nope/deploy.yml", cwd=project)
    assert result.exit_code == 2 and "nope/deploy.yml: no such file" in result.output


def test_select_and_ignore_take_ids_prefixes_and_slugs(project):
    assert rules_fired(check_json(project, "--select", "unknown-key")) == {"KG003"}
    assert "KG003" not in rules_fired(check_json(project, "--ignore", "KG00"))


def test_paths_file_folder_default_and_stdin(project):
    by_file = check_json(project, "config/deploy.yml")["findings"]
    assert check_json(project, ".")["findings"] == by_file
    assert check_json(project)["findings"] == by_file
    with open(f"{project}/config/deploy.yml") as handle:
        result = run_cli("check", "--format", "json", "-", cwd=project, input=handle.read())
    assert result.exit_code == 1
    assert {f["file"] for f in json.loads(result.output)["findings"]} == {"<stdin>"}


def test_output_file(project, tmp_path):
    target = tmp_path / "report.json"
    result = run_cli("check", "--format", "json", "--output", str(target), cwd=project)
    assert result.exit_code == 1 and result.output == ""
    assert json.loads(target.read_text())["findings"]


BASE = VALID + """proxy:
  host: app.example.com
  app_port: 3000
  healthcheck:
    path: /up
volumes:
  - "a:/a"
  - "b:/b"
"""
OVERLAY = """servers:
  web:
    hosts:
      - 198.51.100.7
    optoins: {}
proxy:
  app_port: "80"
  healthcheck:
volumes:
  - "c:/c"
"""


@pytest.fixture
def staged(tmp_path):
    return write_project(tmp_path, {"config/deploy.yml": BASE, "config/deploy.staging.yml": OVERLAY})


def test_destination_merge_follows_kamal(staged):
    import os

    from kamalguard.engine import Selection, run
    from kamalguard.kamal.project import resolve_targets

    old = os.getcwd()
    os.chdir(staged)
    try:
        view = run(resolve_targets([], "staging", False), Selection()).checked[0].view
    finally:
        os.chdir(old)
    assert view.get(("servers", "web", "hosts")) == ["198.51.100.7"]  # lists are replaced
    assert view.get(("proxy", "host")) == "app.example.com"  # mappings are deep-merged
    assert view.get(("proxy", "healthcheck")) is None  # an explicit null replaces
    assert view.get(("volumes",)) == ["c:/c"]


def test_findings_point_into_the_overlay_that_wrote_the_value(staged):
    findings = check_json(staged, "-d", "staging", "--select", "KG003,KG004")["findings"]
    where = {(f["rule"], f["file"], f["line"], f["destination"]) for f in findings}
    assert where == {("KG003", "config/deploy.staging.yml", 5, "staging"),  # servers/web/optoins
                     ("KG004", "config/deploy.staging.yml", 7, "staging"),  # proxy/app_port: "80"
                     ("KG004", "config/deploy.staging.yml", 8, "staging")}  # proxy/healthcheck: null


def test_naming_the_overlay_file_checks_it_merged(staged):
    assert check_json(staged, "config/deploy.staging.yml", "--select", "KG003")["findings"][0]["destination"] == \
        "staging"


def test_all_destinations_checks_base_and_every_overlay(staged):
    report = check_json(staged, "--all-destinations", "--select", "KG003,KG004")
    assert {f["destination"] for f in report["findings"]} == {"staging"}
    assert report["files"] == ["config/deploy.yml", "config/deploy.staging.yml"]


def test_missing_overlay_is_exit_2(staged):
    result = run_cli("check", "-d", "production", cwd=staged)
    assert result.exit_code == 2
    assert "config/deploy.production.yml: destination 'production' has no overlay file" in result.output


def test_require_destination(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID + "require_destination: true\n",
                                       "config/deploy.prod.yml": "servers:\n  web:\n    - 192.0.2.99\n"})
    assert "KG007" in rules_fired(check_json(project, "--select", "KG007"))
    assert rules_fired(check_json(project, "-d", "prod", "--select", "KG007")) == set()


def test_fix_write_refuses_stdin(project):
    result = run_cli("fix", "--write", "-", cwd=project, input="service: x\n")
    assert result.exit_code == 2 and "cannot write back to stdin" in result.output


@pytest.mark.parametrize("accessories", ["[db]", "db", "{db: [x]}"])
def test_odd_accessories_are_findings_not_crashes(tmp_path, accessories):
    project = write_project(tmp_path, {"config/deploy.yml": VALID + f"accessories: {accessories}\n"})
    assert "KG004" in rules_fired(check_json(project))


@pytest.mark.parametrize(("multiarch", "arch", "warned"), [
    ("false", " amd64\n", True),
    ("true", "\n+    - amd64\n+    - arm64\n", False),
])
def test_kamal1_multiarch_becomes_arch_and_a_guess_is_said_aloud(tmp_path, multiarch, arch, warned):
    deploy = VALID.replace("  arch: amd64\n", f"  multiarch: {multiarch}\n")
    folder = write_project(tmp_path, {"config/deploy.yml": deploy})
    result = run_cli("fix", "--select", "KG006", cwd=folder)
    assert f"-  multiarch: {multiarch}\n+  arch:{arch}" in result.output
    assert ("write arch: arm64 instead if the servers are arm64" in result.output) is warned
