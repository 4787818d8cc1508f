"""The CI formats: SARIF (checked against the official schema), GitHub annotations, reviewdog, GitLab Code Quality,
and the Markdown comment; fingerprints that survive unrelated edits; and no secret in any of them.

Exact shapes are asserted with a test rule of our own (KG999, below), so that rules other people add do not change
them; the secret and schema tests run every real rule as well.
"""

from __future__ import annotations

import json
import os

import pytest

import kamalguard.rules
from kamalguard.engine import Outcome
from kamalguard.report import FORMATS, Options, render
from kamalguard.report import github as github_format
from kamalguard.rules import all_rules
from kamalguard.rules.base import Finding, Fix, Rule, option_edits

from .conftest import run_cli, write_project

DATA = os.path.join(os.path.dirname(__file__), "data")
SECRET = "tok-9f8e7d6c5b4a"


def _read_only(ctx):
    """Checks that every role runs with `options: {read-only: true}` (a stand-in for a hardening rule)."""
    for role in ctx.view.roles():
        if role.options.get("read-only") is not True:
            ctx.report(role.path, f"{role.label} runs with a writable root filesystem: set options.read-only: true",
                       container=role,
                       fix=Fix("unsafe", "set options.read-only: true",
                               "the app can no longer write outside its tmpfs paths",
                               option_edits(role, "read-only", True)))


READ_ONLY = Rule(id="KG999", slug="test-read-only", severity="error", family="hardening", fix="unsafe",
                 summary="A role runs with a writable root filesystem", docs=_read_only.__doc__, check=_read_only,
                 references=(("CIS Docker Benchmark 1.6: 5.12", "https://www.cisecurity.org/benchmark/docker"),))

DEPLOY = f"""\
service: myapp
image: myorg/myapp
registry:
  username: myorg
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
servers:
  web:
    hosts:
      - 192.0.2.10
    env:
      clear:
        API_TOKEN: {SECRET}
  jobs:
    hosts:
      - 192.0.2.11
    cmd: bin/jobs
accessories:
  db:
    image: postgres:16.4
    host: 192.0.2.10
    port: 5432
"""


@pytest.fixture
def only_test_rule(monkeypatch):
    """Run KG999 alone: the output then depends on nothing but these tests."""
    monkeypatch.setattr(kamalguard.rules, "_loaded", [READ_ONLY])


@pytest.fixture
def every_rule(monkeypatch):
    monkeypatch.setattr(kamalguard.rules, "_loaded", [*all_rules(), READ_ONLY])


def repository(tmp_path, deploy: str = DEPLOY, **files) -> str:
    """A git work tree (a `.git` folder is all it takes) with the project in app/; returns the project folder."""
    (tmp_path / ".git").mkdir(parents=True)
    return write_project(tmp_path / "app", {"config/deploy.yml": deploy, **files})


def check(project: str, fmt: str, *args) -> str:
    result = run_cli("check", "--format", fmt, *args, cwd=project)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def sarif(project: str, *args) -> dict:
    return json.loads(check(project, "sarif", *args))


def by_line(document: dict) -> dict:
    return {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
            for r in document["runs"][0]["results"]}


def test_sarif_is_valid_against_the_official_schema(tmp_path, every_rule):
    import jsonschema

    with open(os.path.join(DATA, "sarif-schema-2.1.0.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    document = sarif(repository(tmp_path))
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == ("kamalguard", "https://github.com/kamalguard/kamalguard")
    assert {r["id"] for r in driver["rules"]} == {r.id for r in all_rules()}
    for descriptor in driver["rules"]:
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
        assert descriptor["helpUri"].startswith("https://")
        assert 0 <= float(descriptor["properties"]["security-severity"]) <= 10
        assert descriptor["properties"]["tags"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]


def test_sarif_locations_are_relative_to_the_repository_root(tmp_path, only_test_rule):
    document = sarif(repository(tmp_path))
    results = document["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == \
        ["app/config/deploy.yml"] * 2
    jobs = by_line(document)[("KG999", 16)]
    assert jobs["locations"][0]["physicalLocation"]["region"] == \
        {"startLine": 16, "startColumn": 3, "endLine": 16, "endColumn": 7}
    assert jobs["properties"] == {"yamlPath": "servers/jobs", "role": "jobs"}
    [descriptor] = document["runs"][0]["tool"]["driver"]["rules"]
    assert descriptor["properties"] == {"security-severity": "8.0", "tags": ["kamal", "hardening", "security"]}
    assert descriptor["helpUri"] == READ_ONLY.help_uri
    assert "[CIS Docker Benchmark 1.6: 5.12](https://www.cisecurity.org/benchmark/docker)" in \
        descriptor["help"]["markdown"]


def test_sarif_fix_rewrites_exactly_the_lines_it_names(tmp_path, only_test_rule):
    pytest.importorskip("kamalguard.fix.planner")
    from kamalguard.source.document import load_text

    project = repository(tmp_path)
    results = by_line(sarif(project))
    # the web role's fix is inserted below the line holding the secret: it is anchored on the line after instead
    [web_fix] = results[("KG999", 10)]["fixes"]
    assert SECRET not in json.dumps(web_fix) and "***" not in json.dumps(web_fix)
    [fix] = results[("KG999", 16)]["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/config/deploy.yml"
    [replacement] = change["replacements"]
    region = replacement["deletedRegion"]
    lines = DEPLOY.splitlines(keepends=True)
    fixed = "".join(lines[: region["startLine"] - 1]) + replacement["insertedContent"]["text"] + \
        "".join(lines[region["endLine"] - 1 :])
    assert load_text(fixed.encode(), "fixed.yml").data["servers"]["jobs"]["options"] == {"read-only": True}
    assert "behaviour change" in fix["description"]["text"].lower()


def test_sarif_marks_suppressed_findings_in_source_or_external(tmp_path, only_test_rule):
    deploy = DEPLOY.replace("  jobs:\n", "  jobs:  # kamalguard: ignore[KG999] jobs write to /app/tmp\n")
    policy = "exclude:\n  - rules: [KG999]\n    role: web\n    reason: the web role is hardened elsewhere\n"
    results = by_line(sarif(repository(tmp_path, deploy, **{".kamalguard.yml": policy})))
    assert results[("KG999", 16)]["suppressions"] == \
        [{"kind": "inSource", "status": "accepted", "justification": "jobs write to /app/tmp"}]
    assert results[("KG999", 10)]["suppressions"] == \
        [{"kind": "external", "status": "accepted", "justification": "the web role is hardened elsewhere"}]


def fingerprints(document: dict) -> list[str]:
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in document["runs"][0]["results"]]


def test_fingerprints_survive_lines_added_above_a_finding(tmp_path, every_rule):
    before = sarif(repository(tmp_path / "before"))
    shifted = DEPLOY.replace("servers:\n", "# the app servers\n# (two roles)\nlabels:\n  team: web\nservers:\n")
    after = sarif(repository(tmp_path / "after", shifted))
    assert fingerprints(sarif(repository(tmp_path / "again"))) == fingerprints(before)  # the same on every run
    old_lines, new_lines = by_line(before), by_line(after)
    assert old_lines[("KG999", 16)]["partialFingerprints"] != old_lines[("KG999", 10)]["partialFingerprints"]
    assert new_lines[("KG999", 20)]["partialFingerprints"] == old_lines[("KG999", 16)]["partialFingerprints"]
    assert ("KG999", 16) not in new_lines
    assert set(fingerprints(before)) <= set(fingerprints(after))  # every finding of every rule keeps its own


def test_fingerprints_tell_identical_lines_apart(tmp_path, every_rule):
    deploy = DEPLOY.replace("image: myorg/myapp\n", "image: myorg/myapp\nimage: myorg/myapp\nimage: myorg/myapp\n")
    duplicates = [r["partialFingerprints"]["primaryLocationLineHash"]
                  for r in sarif(repository(tmp_path, deploy))["runs"][0]["results"] if r["ruleId"] == "KG002"]
    assert len(duplicates) == 2
    assert duplicates[0].split(":")[0] == duplicates[1].split(":")[0]
    assert [d.split(":")[1] for d in duplicates] == ["1", "2"]


def finding(rule: Rule, severity: str, line: int, message: str = "problem", file: str = "config/deploy.yml"):
    return Finding(rule=rule, severity=severity, message=message, file=file, line=line, column=3, end_line=line,
                   end_column=7, path=("servers", "web"), source_line="  web:")


def test_github_escapes_workflow_command_data_and_properties():
    line = github_format.command("error", "50% done\r\nnext", file="a,b:c.yml", title="KG999 x")
    assert line == "::error file=a%2Cb%3Ac.yml,title=KG999 x::50%25 done%0D%0Anext"


def test_github_shows_ten_annotations_per_level_and_sums_up_the_rest():
    findings = [finding(READ_ONLY, "error", n) for n in range(1, 13)]
    findings += [finding(READ_ONLY, "warning", n) for n in range(20, 23)]
    findings += [finding(READ_ONLY, "info", n, message="note: 100%") for n in range(30, 40)]
    output = render("github", Outcome(findings=findings), Options()).splitlines()
    levels = [line.split(" ", 1)[0] for line in output]
    assert levels.count("::error") == 10
    assert levels.count("::warning") == 3
    # one notice slot is kept for the summary, so it is not itself dropped by GitHub's limit
    assert levels.count("::notice") == 10
    summary = output[-1]
    assert summary.startswith("::notice title=kamalguard::3 more findings than GitHub shows as annotations")
    assert "%0Aconfig/deploy.yml:11:3: KG999 [error] problem" in summary
    assert "%0Aconfig/deploy.yml:12:3: KG999 [error] problem" in summary
    assert "%0Aconfig/deploy.yml:39:3: KG999 [info] note: 100%25" in summary


def test_github_annotations_name_the_file_from_the_repository_root(tmp_path, only_test_rule):
    output = check(repository(tmp_path), "github").splitlines()
    assert output[1].startswith(
        "::error file=app/config/deploy.yml,line=16,col=3,endLine=16,endColumn=7,title=KG999 test-read-only::"
        "role 'jobs' runs with a writable root filesystem: set options.read-only: true%0Afix (unsafe): ")
    assert len(output) == 2


def test_github_leaves_out_suppressed_findings(tmp_path, only_test_rule):
    deploy = DEPLOY.replace("  jobs:\n", "  jobs:  # kamalguard: ignore[KG999] jobs write to /app/tmp\n")
    output = check(repository(tmp_path, deploy), "github")
    assert "line=10" in output and "line=16" not in output


def test_gitlab_code_quality_report(tmp_path, only_test_rule):
    issues = json.loads(check(repository(tmp_path), "gitlab"))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("KG999 test-read-only", "critical", {"path": "app/config/deploy.yml", "lines": {"begin": 10, "end": 10}}),
        ("KG999 test-read-only", "critical", {"path": "app/config/deploy.yml", "lines": {"begin": 16, "end": 16}}),
    ]
    assert issues[1]["description"] == \
        "KG999 role 'jobs' runs with a writable root filesystem: set options.read-only: true"
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]
    assert [i["fingerprint"] for i in issues] == fingerprints(sarif(repository(tmp_path / "again")))


def test_rdjson_diagnostics_carry_whole_line_suggestions(tmp_path, only_test_rule):
    pytest.importorskip("kamalguard.fix.planner")
    document = json.loads(check(repository(tmp_path), "rdjson"))
    assert document["source"]["name"] == "kamalguard"
    web, jobs = document["diagnostics"]
    assert jobs["location"] == {"path": "config/deploy.yml",
                                "range": {"start": {"line": 16, "column": 3}, "end": {"line": 16, "column": 7}}}
    assert (jobs["severity"], jobs["code"]) == ("ERROR", {"value": "KG999", "url": READ_ONLY.help_uri})
    assert jobs["suggestions"] == [{"range": {"start": {"line": 19}, "end": {"line": 19}},
                                    "text": "    cmd: bin/jobs\n    options:\n      read-only: true"}]
    # inserted below the secret's line, the suggestion is anchored on the line after it, never on the secret
    assert web["suggestions"] == [{"range": {"start": {"line": 16}, "end": {"line": 16}},
                                   "text": "    options:\n      read-only: true\n  jobs:"}]


def test_rdjson_counts_columns_in_utf8_bytes(tmp_path, only_test_rule):
    deploy = DEPLOY.replace("  jobs:", "  jöbs:")
    diagnostics = json.loads(check(repository(tmp_path, deploy), "rdjson"))["diagnostics"]
    assert diagnostics[1]["location"]["range"]["end"] == {"line": 16, "column": 8}  # ö is two bytes


def test_markdown_comment_groups_findings_and_shows_the_fix(tmp_path, every_rule):
    pytest.importorskip("kamalguard.fix.planner")
    text = check(repository(tmp_path), "markdown")
    assert text.startswith("### kamalguard: ")
    assert "| 🔴 | error |" in text
    assert "#### `config/deploy.yml`" in text
    web, jobs, db = (text.index(h) for h in ("**role `web`**", "**role `jobs`**", "**accessory `db`**"))
    assert web < jobs < db
    assert f"**[KG999 test-read-only]({READ_ONLY.help_uri})** line 16: role 'jobs' runs with" in text
    assert "#### Behaviour changes the fix makes\n\n" in text
    assert "- KG999 test-read-only: the app can no longer write outside its tmpfs paths" in text
    assert "<details>" in text and "```diff\n--- a/config/deploy.yml\n+++ b/config/deploy.yml\n" in text


def test_markdown_says_all_clear(tmp_path, only_test_rule):
    read_only = "    options:\n      read-only: true\n"
    deploy = DEPLOY.replace("    cmd: bin/jobs\n", "    cmd: bin/jobs\n" + read_only)
    deploy = deploy.replace("      - 192.0.2.10\n    env:", "      - 192.0.2.10\n" + read_only + "    env:")
    assert check(repository(tmp_path, deploy), "markdown") == "### kamalguard: all clear\n\nNo findings in 1 file.\n"


def test_markdown_escapes_html_outside_code():
    from kamalguard.report.markdown import inline

    assert inline("a <b>tag</b> and `<%= ENV %>`\nnext") == "a &lt;b&gt;tag&lt;/b&gt; and `<%= ENV %>` next"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_shows_a_secret(fmt, tmp_path, every_rule):
    project = repository(tmp_path, **{".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=registry-pass-1234\n"})
    output = check(project, fmt)
    assert output.strip()
    assert SECRET not in output
    assert "registry-pass-1234" not in output
    if fmt == "markdown":
        assert "API_TOKEN: ***" in output  # the diff shows the line, masked
