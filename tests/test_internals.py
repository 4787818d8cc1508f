"""Shortcuts taken for speed must give the same answers as the slow, obvious way."""

import gc
import math
import os
import subprocess
import sys

import pytest
from deepdiff import DeepDiff

from kamalguard.fix.planner import _same_data
from kamalguard.kamal.project import ProjectFiles
from kamalguard.source.scalars import ErbValue, RubySymbol

from .conftest import ROOT, VALID, run_cli, write_project


@pytest.mark.parametrize("one, two", [
    (True, 1), (1, 1.0), (0, False), ("1", 1), (ErbValue("x"), "x"), (RubySymbol("a"), "a"),
    (ErbValue("x"), ErbValue("x")), ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}), ([1, 2], [2, 1]),
    ({"a": None}, {}), ({"a": {"b": True}}, {"a": {"b": "true"}}), (math.nan, math.nan), ([], {}),
])
def test_strict_comparison_agrees_with_deepdiff(one, two):
    assert _same_data(one, two) == (not DeepDiff(one, two))


def test_project_real_paths_match_os_realpath(tmp_path):
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "deploy.yml").write_text("x")
    (tmp_path / "outside").mkdir()
    (root / "out").symlink_to(tmp_path / "outside")
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "config" / "up").symlink_to("..")
    files = ProjectFiles(str(root))
    for relative in ["config/deploy.yml", "out/x", "loop", "dangling", "config/up/config/deploy.yml",
                     "config/../config/deploy.yml", "/etc/passwd", "missing/file", "."]:
        assert files._realpath(relative) == os.path.realpath(os.path.join(str(root), relative)), relative
    assert files.read("out/x") is None and not files.inside("out/x")
    assert files.read("config/up/config/deploy.yml") == "x"


def test_a_nul_byte_in_a_path_setting_is_not_a_crash(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID.replace("  arch: amd64\n",
                                                                          '  arch: amd64\n  dockerfile: "x\\0y"\n')
                                       + 'secrets_path: "a\\0b"\n'})
    result = run_cli("check", cwd=project)
    assert result.exit_code == 1 and "internal error" not in result.output


def test_commands_leave_the_garbage_collector_as_they_found_it(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID})
    assert gc.isenabled()
    run_cli("check", cwd=project)
    run_cli("fix", cwd=project)
    assert gc.isenabled()


def test_check_imports_neither_jsonschema_nor_deepdiff_nor_dotenv_on_a_valid_config(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID, ".kamal/secrets": "A=$A\n",
                                       "Dockerfile": "FROM ruby:3.3\nUSER 1000\n"})
    probe = ("import sys, runpy; sys.argv = ['kamalguard', 'check', '--select', 'KG0,KG205,KG301']\n"
             "try:\n    runpy.run_module('kamalguard', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('jsonschema', 'deepdiff', 'dotenv', 'logging') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
