"""The GitHub Action, the pre-commit hooks, and the CI snippets the README shows (kept in tests/data so that they
are checked too): valid against their schemas, and doing what they say when run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest
from ruamel.yaml import YAML

from kamalguard.report import FORMATS

from .conftest import ROOT, run_cli, write_project

DATA = os.path.join(os.path.dirname(__file__), "data")
ACTION = os.path.join(ROOT, "action.yml")
HOOKS = os.path.join(ROOT, ".pre-commit-hooks.yaml")
BIN = os.path.dirname(sys.executable)

# pre-commit's manifest format (pre-commit/clientlib.py, MANIFEST_HOOK_DICT): check-jsonschema vendors no schema
# for it, so this one spells out the keys and languages pre-commit 3 and 4 accept.
PRE_COMMIT_MANIFEST = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "name", "entry", "language"],
        "additionalProperties": False,
        "properties": {
            **{key: {"type": "string", "minLength": 1} for key in (
                "id", "name", "entry", "alias", "files", "exclude", "description", "language_version", "log_file",
                "minimum_pre_commit_version")},
            "language": {"enum": ["conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang",
                                  "haskell", "julia", "lua", "node", "perl", "pygrep", "python", "r", "ruby", "rust",
                                  "swift", "script", "system", "unsupported", "unsupported_script"]},
            **{key: {"type": "array", "items": {"type": "string"}} for key in (
                "types", "types_or", "exclude_types", "additional_dependencies", "args", "stages")},
            **{key: {"type": "boolean"} for key in (
                "always_run", "fail_fast", "pass_filenames", "require_serial", "verbose")},
        },
    },
}

BOM_DEPLOY = "\ufeffservice: myapp\nimage: myorg/myapp\nservers:\n  - 192.0.2.10\n"


def load(path: str):
    with open(path, encoding="utf-8") as handle:
        return YAML(typ="safe").load(handle)


def builtin_schema_check(schema: str, path: str) -> None:
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, path],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_is_valid_against_the_github_actions_schema():
    builtin_schema_check("vendor.github-actions", ACTION)


def test_action_installs_checks_uploads_and_comments():
    action = load(ACTION)
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    scripts = {step["name"]: step.get("run", "") for step in steps}
    assert 'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in scripts["Install kamalguard"]
    assert "--format sarif" in scripts["Check"]
    assert "kamalguard pr-comment" in scripts["Comment on the pull request"]
    comment = next(step for step in steps if step["name"] == "Comment on the pull request")
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert comment["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"


def test_action_scripts_take_inputs_only_through_the_environment():
    """`${{ inputs.x }}` pasted into a script is a shell injection; every input reaches scripts through `env:`."""
    action = load(ACTION)
    with open(ACTION, encoding="utf-8") as handle:
        referenced = set(re.findall(r"inputs\.([\w-]+)", handle.read()))
    assert referenced <= set(action["inputs"])
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
            done = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
            assert done.returncode == 0, (step["name"], done.stderr)


def run_step(name: str, cwd: str, env: dict, tmp_path) -> tuple[int, dict]:
    """Run one of the action's bash steps the way the runner does (bash -eo pipefail), with kamalguard on PATH."""
    step = next(s for s in load(ACTION)["runs"]["steps"] if s["name"] == name)
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    environ = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(outputs), **env}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                          env=environ, capture_output=True, text=True, timeout=120)
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return done.returncode, values | {"stdout": done.stdout}


def test_action_check_step_writes_sarif_and_records_the_exit_code(tmp_path):
    project = write_project(tmp_path / "repo", {"config/deploy.yml": BOM_DEPLOY})
    sarif = tmp_path / "out.sarif"
    env = {"INPUT_PATHS": ".", "INPUT_DESTINATION": "", "INPUT_FAIL_ON": "error", "INPUT_UPLOAD_SARIF": "false",
           "SARIF_FILE": str(sarif)}
    code, outputs = run_step("Check", project, env, tmp_path)
    assert code == 0  # the verdict comes last, after the upload and the comment
    assert outputs["exit-code"] == "1"
    assert outputs["sarif-file"] == str(sarif)
    assert "KG008" in {r["ruleId"] for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert "::error file=config/deploy.yml,line=1" in outputs["stdout"]  # annotations when SARIF is not uploaded

    code, _ = run_step("Verdict", project, {"CODE": "1"}, tmp_path)
    assert code == 1
    code, _ = run_step("Verdict", project, {"CODE": "0"}, tmp_path)
    assert code == 0


def test_pre_commit_hooks_manifest_is_valid():
    hooks = load(HOOKS)
    jsonschema.validate(hooks, PRE_COMMIT_MANIFEST)
    assert [hook["id"] for hook in hooks] == ["kamalguard", "kamalguard-fix"]
    for hook in hooks:
        files = re.compile(hook["files"])
        for path in ("config/deploy.yml", "config/deploy.staging.yml", "apps/shop/config/deploy.yml"):
            assert files.search(path), (hook["id"], path)
        for path in ("config/database.yml", "config/deploy.yml.orig", "myconfig/deploy.yml", "config/deploy.rb"):
            assert not files.search(path), (hook["id"], path)


@pytest.mark.parametrize(("hook_id", "exit_code"), [("kamalguard", 1), ("kamalguard-fix", 0)])
def test_pre_commit_hooks_run_on_the_staged_deploy_files(hook_id, exit_code, tmp_path):
    hook = next(h for h in load(HOOKS) if h["id"] == hook_id)
    program, *args = hook["entry"].split()
    assert program == "kamalguard"
    project = write_project(tmp_path, {"config/deploy.yml": BOM_DEPLOY})
    result = run_cli(*args, "config/deploy.yml", cwd=project)  # pre-commit appends the staged files
    assert result.exit_code == exit_code, result.output
    fixed = (tmp_path / "config" / "deploy.yml").read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") == (hook_id == "kamalguard")


def test_readme_workflow_snippet_is_a_valid_workflow_using_the_actions_inputs():
    path = os.path.join(DATA, "github-workflow.yml")
    builtin_schema_check("vendor.github-workflows", path)
    inputs = set(load(ACTION)["inputs"])
    workflow = load(path)
    assert {"security-events", "pull-requests"} <= {k for k, v in workflow["permissions"].items() if v == "write"}
    step = next(s for s in workflow["jobs"]["kamalguard"]["steps"] if s.get("uses", "").startswith("kamalguard/"))
    assert set(step["with"]) <= inputs


def test_readme_gitlab_snippet_is_valid_gitlab_ci():
    path = os.path.join(DATA, "gitlab-ci.yml")
    builtin_schema_check("vendor.gitlab-ci", path)
    job = load(path)["kamalguard"]
    report = job["artifacts"]["reports"]["codequality"]
    assert any(f"--format gitlab --output {report}" in line for line in job["script"])
    assert all(m in FORMATS for line in job["script"] for m in re.findall(r"--format (\w+)", line))


def test_readme_pre_commit_snippet_names_the_hooks():
    config = load(os.path.join(DATA, "pre-commit-config.yml"))
    [repo] = config["repos"]
    assert repo["repo"] == "https://github.com/kamalguard/kamalguard"
    assert [h["id"] for h in repo["hooks"]] == [h["id"] for h in load(HOOKS)]
