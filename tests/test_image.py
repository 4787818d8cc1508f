"""Image rules (KG3xx): the Dockerfile Kamal builds and the .dockerignore of its build context."""

import os

import pytest

from kamalguard.fix.edits import AppendLines

from .conftest import check_json, rules_fired
from .test_exposure import BASE, DESTINATION, as_overlay, findings, fired, on_base, project, rules_of, write_project

IMAGE = rules_of("image")
SINGLE_STAGE_ROOT = "FROM ruby:3.3-slim\nCOPY . .\n"
MULTI_STAGE = """
    FROM ruby:3.3-slim AS build
    RUN bundle install
    FROM ruby:3.3-slim
    COPY --from=build /usr/local/bundle /usr/local/bundle
    ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so
    USER 1000:1000
"""
FULL_DOCKERIGNORE = "/.git\n/.env*\n/config/master.key\n/config/credentials/*.key\n/.kamal/secrets*\n"


@pytest.mark.parametrize("rule", IMAGE, ids=[r.id for r in IMAGE])
def test_failing_example_fires_from_an_overlay(rule, tmp_path):
    folder = write_project(tmp_path, as_overlay(rule.failing))
    assert fired(folder, rule.id, DESTINATION)


@pytest.mark.parametrize("rule", IMAGE, ids=[r.id for r in IMAGE])
def test_passing_example_is_silent_from_an_overlay(rule, tmp_path):
    folder = write_project(tmp_path, as_overlay(rule.passing))
    assert not fired(folder, rule.id, DESTINATION)


def test_every_image_rule_documents_why_and_how():
    for rule in IMAGE:
        assert "## How to fix" in rule.docs and rule.references, rule.id
        assert "## Fix safety" in rule.docs or not rule.fixable, rule.id


# --- KG301 dockerfile-root-user ----------------------------------------------------------------------------------


def test_multi_stage_with_user_1000_1000_is_silent(tmp_path):
    assert findings(project(tmp_path, BASE, Dockerfile=MULTI_STAGE), "KG301") == []


def test_no_user_points_at_the_final_from_line(tmp_path):
    folder = project(tmp_path, BASE, Dockerfile="FROM node:22 AS build\nUSER node\nRUN npm ci\nFROM node:22-slim\n")
    [finding] = findings(folder, "KG301")
    assert (finding.file, finding.line) == ("Dockerfile", 4)
    assert "sets no USER" in finding.message


def test_user_root_points_at_the_user_line(tmp_path):
    folder = project(tmp_path, BASE, Dockerfile="FROM ruby:3.3 AS base\nUSER root\nFROM base\nRUN make\n")
    [finding] = findings(folder, "KG301")
    assert (finding.file, finding.line, finding.source_line) == ("Dockerfile", 2, "USER root")


def test_missing_dockerfile_is_a_finding_not_a_crash(tmp_path):
    folder = project(tmp_path, BASE)
    [finding] = findings(folder, "KG301")
    assert (finding.file, finding.path) == ("config/deploy.yml", ("builder",))
    assert "Missing Dockerfile" in finding.message
    assert {f.rule.id for rule in ("KG303", "KG304") for f in findings(folder, rule)} == set()


def test_builder_dockerfile_and_target(tmp_path):
    deploy = on_base("builder:\n  arch: amd64\n  dockerfile: docker/Dockerfile.prod\n  target: app\n")
    folder = project(tmp_path, deploy, **{"docker/Dockerfile.prod": """
        FROM ruby:3.3 AS app
        USER rails
        FROM app AS debug
        USER root
    """})
    assert findings(folder, "KG301") == []
    write_project(tmp_path, {"config/deploy.yml": deploy.replace("target: app", "target: debug")})
    [finding] = findings(folder, "KG301")
    assert (finding.file, finding.line) == ("docker/Dockerfile.prod", 4)


def test_build_args_decide_the_user(tmp_path):
    dockerfile = "FROM ruby:3.3\nARG APP_UID\nUSER $APP_UID\n"
    folder = project(tmp_path, BASE, Dockerfile=dockerfile)
    assert findings(folder, "KG301") == []  # unknown: not judged
    write_project(tmp_path, {"config/deploy.yml": on_base("builder:\n  arch: amd64\n  args:\n    APP_UID: 0\n")})
    assert len(findings(folder, "KG301")) == 1


def test_every_role_overriding_the_user_is_silent(tmp_path):
    deploy = "service: myapp\nimage: myorg/myapp\nservers:\n  web:\n    hosts:\n      - 192.0.2.10\n" \
             "    options:\n      user: 1000\n"
    assert findings(project(tmp_path, deploy, Dockerfile=SINGLE_STAGE_ROOT), "KG301") == []


def test_buildpacks_and_erb_named_dockerfiles_are_not_judged(tmp_path):
    packs = project(tmp_path / "pack", on_base("builder:\n  arch: amd64\n  pack:\n    builder: heroku/builder:24\n"))
    erb = project(tmp_path / "erb", on_base('builder:\n  arch: amd64\n  dockerfile: <%= ENV["DOCKERFILE"] %>\n'))
    assert findings(packs, "KG301") == [] and findings(packs, "KG302") == []
    assert findings(erb, "KG301") == []


# --- KG302 dockerignore-secrets ----------------------------------------------------------------------------------


def test_full_dockerignore_is_silent(tmp_path):
    assert findings(project(tmp_path, BASE, **{".dockerignore": FULL_DOCKERIGNORE}), "KG302") == []


def test_missing_patterns_are_appended(tmp_path):
    folder = project(tmp_path, BASE, **{".dockerignore": "/.git/\n/.env*\n/config/credentials/*.key\n"})
    [finding] = findings(folder, "KG302")
    assert finding.severity == "error"  # master.key and .kamal/secrets are not excluded
    assert finding.fix.safety == "safe"
    assert finding.fix.edits == (AppendLines(".dockerignore", ("/config/master.key", "/.kamal/secrets*")),)
    # the edit, applied, makes the check pass: the fix is idempotent
    with open(os.path.join(folder, ".dockerignore"), "a") as handle:
        handle.write("\n".join(finding.fix.edits[0].lines) + "\n")
    assert findings(folder, "KG302") == []


def test_only_less_sensitive_patterns_missing_is_a_warning(tmp_path):
    folder = project(tmp_path, BASE, **{".dockerignore": "/config/master.key\n/.kamal/secrets*\n"})
    [finding] = findings(folder, "KG302")
    assert finding.severity == "warning"
    assert finding.fix.edits[0].lines == ("/.env*", "/config/credentials/*.key", "/.git")


def test_negation_re_includes_a_pattern_and_is_not_undone_by_the_fix(tmp_path):
    folder = project(tmp_path, BASE, **{".dockerignore": FULL_DOCKERIGNORE + "!/.env.production\n"
                                                         "!/.env.example\n"})
    [finding] = findings(folder, "KG302")
    assert "re-included by `!/.env.production` on line 6" in finding.message
    assert finding.fix is None  # appending /.env* again would override the user's deliberate `!`


def test_negated_template_keeps_the_secret_excluded(tmp_path):
    folder = project(tmp_path, BASE, **{".dockerignore": FULL_DOCKERIGNORE + "!/.env*.erb\n!/.env.example\n"})
    assert findings(folder, "KG302") == []


@pytest.mark.parametrize("patterns, excluded", [
    ("*.key\n", False),  # Docker: relative to the context root, so config/master.key is not matched
    ("**/*.key\n", True),
    ("config\n", True),  # a folder excludes what is inside it
    ("config/\n", True),
    ("/config/*\n!/config/master.key\n", False),  # the last match wins, even inside an excluded folder
])
def test_docker_matching_rules_for_master_key(tmp_path, patterns, excluded):
    folder = project(tmp_path, BASE, **{".dockerignore": patterns + "/.git\n/.env*\n/.kamal/secrets*\n"
                                                                    "/config/credentials/*.key\n"})
    reported = any("/config/master.key" in f.message or "master.key" in f.message
                   for f in findings(folder, "KG302"))
    assert reported is not excluded


def test_no_dockerignore_is_an_error_and_the_fix_creates_one(tmp_path):
    folder = project(tmp_path, BASE)
    [finding] = findings(folder, "KG302")
    assert finding.severity == "error" and finding.file == "config/deploy.yml"
    [edit] = finding.fix.edits
    assert edit == AppendLines(".dockerignore", ("/.env*", "/config/master.key", "/config/credentials/*.key",
                                                 "/.kamal/secrets*", "/.git"))


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    deploy = on_base("builder:\n  arch: amd64\n  dockerfile: docker/Dockerfile\n")
    folder = project(tmp_path, deploy, **{"docker/Dockerfile": MULTI_STAGE, ".dockerignore": FULL_DOCKERIGNORE,
                                          "docker/Dockerfile.dockerignore": "/.git\n"})
    [finding] = findings(folder, "KG302")
    assert finding.file == "docker/Dockerfile.dockerignore"
    assert finding.fix.edits[0].file == "docker/Dockerfile.dockerignore"


def test_subfolder_context_needs_no_project_level_patterns(tmp_path):
    deploy = on_base("builder:\n  arch: amd64\n  context: app\n")
    folder = project(tmp_path, deploy, **{"app/.dockerignore": "/.env*\n/config/master.key\n"
                                                               "/config/credentials/*.key\n"})
    assert findings(folder, "KG302") == []


def test_context_outside_the_project_is_not_judged(tmp_path):
    folder = project(tmp_path / "app", on_base("builder:\n  arch: amd64\n  context: ..\n"))
    assert findings(folder, "KG302") == []


# --- KG303 dockerfile-single-stage, KG304 ruby-runtime-tuning ------------------------------------------------------


def test_stages_in_one_chain_are_still_a_single_stage_build(tmp_path):
    folder = project(tmp_path, BASE, Dockerfile="FROM ruby:3.3 AS base\nFROM base AS app\nUSER app\nFROM app\n")
    [finding] = findings(folder, "KG303")
    assert finding.line == 4


def test_ruby_tuning_from_the_deploy_env(tmp_path):
    dockerfile = "ARG RUBY_VERSION=3.3\nFROM registry.docker.com/library/ruby:$RUBY_VERSION-slim\nUSER app\n"
    folder = project(tmp_path, BASE, Dockerfile=dockerfile)
    assert len(findings(folder, "KG304")) == 1
    write_project(tmp_path, {"config/deploy.yml": on_base("env:\n  clear:\n    RUBY_YJIT_ENABLE: 1\n")})
    assert findings(folder, "KG304") == []


def test_ruby_tuning_inherited_from_a_base_stage(tmp_path):
    dockerfile = "FROM ruby:3.3 AS base\nENV MALLOC_CONF=narenas:2\nFROM base AS build\nFROM base\nUSER app\n"
    assert findings(project(tmp_path, BASE, Dockerfile=dockerfile), "KG304") == []


def test_non_ruby_images_are_not_tuned(tmp_path):
    assert findings(project(tmp_path, BASE, Dockerfile="FROM node:22\nUSER node\n"), "KG304") == []


def test_kg304_reads_the_rails_entrypoint_that_preloads_jemalloc(tmp_path):
    dockerfile = ("FROM docker.io/library/ruby:3.3-slim AS base\nWORKDIR /rails\n"
                  "RUN apt-get install -y libjemalloc2\nUSER 1000\nENTRYPOINT [\"/rails/bin/docker-entrypoint\"]\n")
    entrypoint = ('#!/bin/bash -e\nif [ -z "${LD_PRELOAD+x}" ]; then\n'
                  '  export LD_PRELOAD="$(echo /usr/lib/*/libjemalloc.so.2)"\nfi\nexec "${@}"\n')
    deploy = "service: myapp\nimage: myorg/myapp\nservers:\n  - 192.0.2.10\n"
    with_script = write_project(tmp_path / "a", {"config/deploy.yml": deploy, "Dockerfile": dockerfile,
                                                 "bin/docker-entrypoint": entrypoint})
    assert "KG304" not in rules_fired(check_json(with_script, "--select", "KG304"))
    without = write_project(tmp_path / "b", {"config/deploy.yml": deploy, "Dockerfile": dockerfile,
                                             "bin/docker-entrypoint": 'exec "${@}"\n'})
    assert "KG304" in rules_fired(check_json(without, "--select", "KG304"))
