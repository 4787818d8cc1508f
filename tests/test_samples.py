"""The bundled samples behave as the README says, and the real Kamal agrees with each verdict."""

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, check_json, kamal_verdict, rules_fired, run_cli
from .test_fix_golden import neutralize

SAMPLES = Path(ROOT) / "samples"
# sample -> (destination, does Kamal 2.11 accept it?)
VERDICTS = {
    "rails-default": (None, True),
    "hardened": (None, True),
    "kamal1": (None, False),
    "erb-anchors-overlay": (None, True),
    "erb-anchors-overlay@staging": ("staging", True),
}


def _structural_errors(report):
    return [f for f in report["findings"] if f["rule"].startswith("KG0") and f["severity"] == "error"]


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_sample_verdict_matches_kamal_expectation(name):
    sample, _, _ = name.partition("@")
    destination, accepted = VERDICTS[name]
    report = check_json(str(SAMPLES / sample), *(["-d", destination] if destination else []))
    assert (not _structural_errors(report)) == accepted, _structural_errors(report)


@pytest.mark.kamal
@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_kamal_confirms_the_sample_verdict(name, kamal):
    sample, _, _ = name.partition("@")
    destination, accepted = VERDICTS[name]
    files = {str(p.relative_to(SAMPLES / sample)): neutralize(p.read_text("utf-8"))
             for p in (SAMPLES / sample / "config").glob("*.yml")}
    files = {f"config/{Path(k).name}": v for k, v in files.items()}
    valid, said = kamal_verdict(kamal, files, destination)
    assert valid == accepted, said


def test_hardened_sample_has_no_findings():
    report = check_json(str(SAMPLES / "hardened"))
    assert report["findings"] == []


def test_rails_default_shows_its_hardening_gaps():
    report = check_json(str(SAMPLES / "rails-default"))
    for rule in ("KG101", "KG103", "KG105", "KG106"):
        owners = {f["role"] or f["accessory"] for f in report["findings"] if f["rule"] == rule}
        assert owners == {"web", "job", "db", "redis"}, rule
    assert "KG201" in rules_fired(report)


def test_kamal1_sample_names_each_replacement():
    report = check_json(str(SAMPLES / "kamal1"))
    kamal1 = [f for f in report["findings"] if f["rule"] == "KG006"]
    assert {f["path"] for f in kamal1} >= {"traefik", "healthcheck", "stop_wait_time", "builder/multiarch",
                                           "servers/web/traefik"}


@pytest.fixture
def fixed_rails_default(tmp_path):
    project = tmp_path / "rails-default"
    shutil.copytree(SAMPLES / "rails-default", project)
    result = run_cli("fix", "--write", "--unsafe-fixes", cwd=str(project))
    assert result.exit_code in (0, 1), result.output
    return project


def test_fix_leaves_rails_default_without_fixable_findings(fixed_rails_default):
    assert [f for f in check_json(str(fixed_rails_default))["findings"] if f["fix"]] == []


@pytest.mark.kamal
def test_kamal_accepts_the_fixed_rails_default(fixed_rails_default, kamal):
    valid, said = kamal_verdict(kamal, {"config/deploy.yml": (fixed_rails_default / "config/deploy.yml").read_text()})
    assert valid, said


LEAKED = ["ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ", "s3cr3t-db-pass", "sk_live_51H8sTrIpEsEcReTkEy000000000000000000",
          "correct-horse-battery-staple", "0123456789abcdef0123456789abcdef",
          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "rdjson", "gitlab", "markdown"])
def test_no_format_shows_a_leaked_secret(fmt):
    result = run_cli("check", "--format", fmt, str(SAMPLES / "leaky-secrets"))
    assert result.exit_code == 1, result.output
    assert "***" in result.output
    assert [value for value in LEAKED if value in result.output] == []


@pytest.mark.parametrize("args", [[], ["--unsafe-fixes"]])
def test_the_fix_diff_shows_no_leaked_secret(args):
    result = run_cli("fix", *args, str(SAMPLES / "leaky-secrets"))
    assert "+++ b/" in result.output
    assert [value for value in LEAKED if value in result.output] == []


def test_fixed_rails_default_databases_keep_the_capabilities_they_boot_with(fixed_rails_default):
    from kamalguard.source.document import load_text

    data = load_text((fixed_rails_default / "config/deploy.yml").read_text()).data
    db = data["accessories"]["db"]["options"]
    assert db["cap-drop"] == ["ALL"]
    assert db["cap-add"] == ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
    assert not rules_fired(check_json(str(fixed_rails_default))) & {"KG101", "KG102", "KG103", "KG104", "KG105"}
