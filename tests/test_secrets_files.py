"""`.kamal/secrets*`: how they are found and read (never run), KG206/KG207, and that no output shows a secret."""

import json
import os

import pytest

from kamalguard.kamal.project import ProjectFiles
from kamalguard.kamal.secrets import candidates, literal_values, parse
from kamalguard.kamal.view import View
from kamalguard.report import FORMATS
from kamalguard.source.document import load_text

from .conftest import check_json, rules_fired, run_cli
from .test_exposure import BASE, findings, on_base, project


def assignments(written: str) -> dict:
    return {a.key: a for a in parse(written, ".kamal/secrets").assignments}


@pytest.mark.parametrize("line", [
    "KEY=$(op read op://vault/item/password)",
    'KEY="$(op read op://vault/item/password -n)"',
    "KEY=$(kamal secrets extract KEY $SECRETS)",
    "KEY=$KEY",
    "KEY=${KEY}",
    'KEY="${PREFIX}_$(cat config/master.key)"',
    "export KEY=$KEY",
    "KEY=postgres://$DB_USER:$DB_PASSWORD@$DB_HOST/app",
])
def test_references(line):
    [assignment] = assignments(line + "\n").values()
    assert assignment.reference and not assignment.literal


@pytest.mark.parametrize("line", [
    "KEY='literal'",
    "KEY=literal",
    'KEY="literal value"',
    "KEY='$(op read op://vault/item)'",  # single quotes: dotenv never substitutes
    "KEY=\\$(not a command)",  # an escaped $( is text
    "KEY=postgres://app:s3cret-pw@$DB_HOST/app",  # a written password among references
])
def test_literals(line):
    [assignment] = assignments(line + "\n").values()
    assert assignment.literal and not assignment.reference


def test_empty_values_and_comments_are_neither():
    found = assignments("# KEY=$(op read x)\nEMPTY=\nBLANK=''  # nothing\n")
    assert set(found) == {"EMPTY", "BLANK"}
    assert not any(a.literal or a.reference for a in found.values())


def test_lines_columns_and_masked_document():
    secrets_file = parse("# header\n\n  export API_TOKEN=tok_123456\nMULTI=\"first-line\nsecond-line\"\nLAST=x\n",
                         ".kamal/secrets")
    found = {a.key: (a.line, a.column) for a in secrets_file.assignments}
    assert found == {"API_TOKEN": (3, 10), "MULTI": (4, 1), "LAST": (6, 1)}
    shown = secrets_file.document.source.text
    assert "tok_123456" not in shown and "first-line" not in shown and "second-line" not in shown
    assert shown.splitlines()[2:6] == ["  export API_TOKEN=***", "MULTI=***", "***", "LAST=***"]


def test_nothing_is_run(tmp_path):
    marker = tmp_path / "ran"
    folder = project(tmp_path, on_base("env:\n  secret:\n    - KEY\n"),
                     **{".kamal/secrets": f"KEY=$(touch {marker})\nOTHER=\"$(touch {marker})\"\n"})
    run_cli("check", "--format", "json", cwd=folder)
    assert not marker.exists()


def view(deploy: str, destination=None) -> View:
    layers = [load_text(deploy.encode())]
    if destination:
        layers.append(load_text(b"{}\n", f"config/deploy.{destination}.yml"))
    return View(layers, destination)


def test_files_kamal_reads():
    assert candidates(view(BASE)) == [".kamal/secrets-common", ".kamal/secrets"]
    assert candidates(view(BASE, "staging")) == [".kamal/secrets-common", ".kamal/secrets.staging"]
    assert candidates(view(BASE + "secrets_path: ops/secrets\n", "eu")) == ["ops/secrets-common", "ops/secrets.eu"]
    assert candidates(view(BASE + 'secrets_path: <%= ENV["SECRETS"] %>\n')) is None


# --- KG206 / KG207 -----------------------------------------------------------------------------------------------


def test_literal_lines_are_reported_at_their_line(tmp_path):
    folder = project(tmp_path, BASE, **{".kamal/secrets": """
        # Secrets
        KAMAL_REGISTRY_PASSWORD=$(op read op://vault/registry/password)
        KEY='literal-value'
        RAILS_MASTER_KEY=$(cat config/master.key)
    """})
    [finding] = findings(folder, "KG206")
    assert (finding.file, finding.line, finding.column) == (".kamal/secrets", 3, 1)
    assert "KEY" in finding.message and "literal-value" not in finding.message + finding.source_line
    assert finding.source_line == "KEY=***"


def test_helper_variables_are_not_secrets(tmp_path):
    folder = project(tmp_path, BASE, **{".kamal/secrets": """
        VAULT="Production"
        DB_PASSWORD=$(op read op://$VAULT/db/password)
        UNUSED_SETTING=plain-value
        TOKEN=abcdefgh1234
        API_KEY=$(op read op://${TOKEN}/api)
    """})
    assert [f.line for f in findings(folder, "KG206")] == [3, 4]  # TOKEN is named like a credential


def test_secrets_common_and_the_destination_file_are_both_checked(tmp_path):
    folder = project(tmp_path, BASE, **{"config/deploy.staging.yml": "{}\n",
                                        ".kamal/secrets-common": "SHARED=written-value\n",
                                        ".kamal/secrets": "BASE_ONLY=written-value\n",
                                        ".kamal/secrets.staging": "STAGING=written-value\n"})
    assert {f.file for f in findings(folder, "KG206")} == {".kamal/secrets-common", ".kamal/secrets"}
    assert {f.file for f in findings(folder, "KG206", "staging")} == {".kamal/secrets-common", ".kamal/secrets.staging"}


@pytest.mark.parametrize("gitignore, nested, ignored", [
    (None, None, False),
    ("/log/*\n", None, False),
    ("/.kamal/secrets*\n", None, True),
    (".kamal/\n", None, True),
    ("/.kamal/secrets*\n!/.kamal/secrets\n", None, False),
    (None, "secrets\n", True),  # .kamal/.gitignore
    ("/.kamal/secrets*\n", "!secrets\n", False),  # the deeper .gitignore wins
])
def test_gitignore(tmp_path, gitignore, nested, ignored):
    files = {".kamal/secrets": "DB_PASSWORD=written-value\n"}
    if gitignore:
        files[".gitignore"] = gitignore
    if nested:
        files[".kamal/.gitignore"] = nested
    folder = project(tmp_path, BASE, **files)
    assert (findings(folder, "KG207") == []) == ignored


def test_references_only_need_no_gitignore(tmp_path):
    folder = project(tmp_path, BASE, **{".kamal/secrets": "DB_PASSWORD=$DB_PASSWORD\n"})
    assert findings(folder, "KG207") == []


def test_symlink_out_of_the_project_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secrets").write_text("DB_PASSWORD=outside-value-123\n")
    (outside / "Dockerfile").write_text("FROM ruby:3.3\nUSER root\n")
    folder = project(tmp_path / "app", on_base("env:\n  secret:\n    - DB_PASSWORD\n"))
    os.makedirs(os.path.join(folder, ".kamal"))
    os.symlink(outside / "secrets", os.path.join(folder, ".kamal", "secrets"))
    os.symlink(outside / "Dockerfile", os.path.join(folder, "Dockerfile"))
    files = ProjectFiles(folder)
    assert files.read(".kamal/secrets") is None and not files.inside(".kamal/secrets")
    assert files.read("Dockerfile") is None
    report = json.loads(run_cli("check", "--format", "json", cwd=folder).output)
    assert not {"KG205", "KG206", "KG207", "KG301"} & {f["rule"] for f in report["findings"]}
    assert "outside-value-123" not in json.dumps(report)


def test_symlink_inside_the_project_is_read(tmp_path):
    folder = project(tmp_path, BASE, **{"ops/secrets": "KEY=written-value\n"})
    os.makedirs(os.path.join(folder, ".kamal"))
    os.symlink(os.path.join(folder, "ops", "secrets"), os.path.join(folder, ".kamal", "secrets"))
    assert len(findings(folder, "KG206")) == 1


# --- redaction: no output shows a secret value ----------------------------------------------------------------------

SECRET_VALUES = [
    "dckr_pat_registry-0001", "hunter2-db-password", "ghp_" + "Z" * 36, "pw-in-url-77",
    "0123456789abcdef0123456789abcdef", "literal-in-secrets-1", "escaped\"quote-secret", "multi-line-first",
    "multi-line-second", "mixed-url-pw-99", "AKIAABCDEFGHIJKLMNOP",
]


@pytest.fixture
def leaky_project(tmp_path):
    return project(tmp_path, on_base(f"""
        registry:
          username: me
          password: {SECRET_VALUES[0]}
        env:
          clear:
            DATABASE_PASSWORD: {SECRET_VALUES[1]}
            CI_TOKEN_VALUE: {SECRET_VALUES[2]}
            DATABASE_URL: postgres://app:{SECRET_VALUES[3]}@db/app
            KEYLESS_NAME: {SECRET_VALUES[10]}
          secret:
            - RAILS_MASTER_KEY
        accessories:
          db:
            image: postgres
            host: 192.0.2.10
            port: 5432
            env:
              POSTGRES_PASSWORD: {SECRET_VALUES[1]}
    """), **{".kamal/secrets": f"""
        RAILS_MASTER_KEY={SECRET_VALUES[4]}
        SINGLE='{SECRET_VALUES[5]}'
        DOUBLE="escaped\\"quote-secret"
        MULTI="{SECRET_VALUES[7]}
        {SECRET_VALUES[8]}"
        DATABASE_URL=postgres://app:{SECRET_VALUES[9]}@$DB_HOST/app
    """, ".dockerignore": "/log\n"})


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_output_shows_a_secret_value(leaky_project, fmt):
    result = run_cli("check", "--format", fmt, cwd=leaky_project)
    assert result.exit_code == 1
    for value in SECRET_VALUES:
        assert value not in result.output, value


def test_fix_diff_shows_no_secret_value(leaky_project):
    result = run_cli("fix", "--unsafe-fixes", cwd=leaky_project)
    assert "KAMAL_REGISTRY_PASSWORD" in result.output  # the diff is there
    for value in SECRET_VALUES:
        assert value not in result.output, value


def test_the_leaky_sample_shows_its_secrets_in_findings(leaky_project):
    assert {"KG203", "KG204", "KG206", "KG207"} <= rules_fired(check_json(leaky_project))


def test_secrets_file_literals_join_the_redaction_set(leaky_project):
    with open(os.path.join(leaky_project, "config/deploy.yml")) as deploy:
        values = literal_values(view(deploy.read()), ProjectFiles(leaky_project))
    assert {SECRET_VALUES[4], SECRET_VALUES[5], 'escaped\\"quote-secret', 'escaped"quote-secret',
            SECRET_VALUES[7], SECRET_VALUES[8]} <= values
    assert any(SECRET_VALUES[9] in v for v in values)


def test_erb_values_are_not_redacted_or_judged_literal(tmp_path):
    folder = project(tmp_path, on_base("""
        registry:
          username: me
          password: <%= ENV["REGISTRY_TOKEN"] %>
    """))
    result = run_cli("check", "--format", "text", "--select", "KG204,KG005", cwd=folder)
    assert "KG204" not in result.output
