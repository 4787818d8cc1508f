"""kamalguard reads what Kamal would run, and runs none of it: not the deploy file's ERB, not the `$(...)` of the
secrets files, not the Dockerfile, not the hooks. Each would create a marker file; none may exist afterwards."""

from __future__ import annotations

import os
import pathlib
import stat

import pytest

from .conftest import run_cli, write_project


def project_that_would_run_commands(tmp_path, structural_erb: bool = False) -> tuple[str, list[str]]:
    """A project whose every file would run a command. With `structural_erb`, ERB also writes a line of YAML, so the
    file cannot be loaded (KG001); without, it loads, and the rules read the secrets files and the Dockerfile."""
    markers = [str(tmp_path / f"ran-{n}") for n in range(12)]
    deploy = f"""\
service: shop
image: acme/shop
<% system("touch {markers[0]}") %>
servers:
  web:
    hosts:
      - <%= `touch {markers[1]}` %>192.0.2.10
    options:
      memory: <%= %x(touch {markers[2]}) %>1g
  job:
    hosts:
      - 192.0.2.11
    cmd: <%= IO.popen(["touch", "{markers[3]}"]).read %>bin/jobs
registry:
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
env:
  clear:
    HOST: <%= File.write("{markers[4]}", "x") %>
"""
    if structural_erb:
        deploy += f"<%= `touch {markers[5]}` %>\n"
    overlay = f"""\
servers:
  web:
    hosts:
      - <%= Kernel.exec("touch {markers[6]}") %>
"""
    hook = f"#!/bin/sh\ntouch {markers[11]}\n"
    files = {
        "config/deploy.yml": deploy,
        "config/deploy.staging.yml": overlay,
        ".kamal/secrets": f"KAMAL_REGISTRY_PASSWORD=$(touch {markers[7]})\nRAILS_MASTER_KEY=`touch {markers[8]}`\n",
        ".kamal/secrets-common": f"DATABASE_URL=$(touch {markers[9]} && echo postgres://db)\n",
        ".kamal/secrets.staging": f"SECRET=$(sh -c 'touch {markers[9]}')\n",
        "Dockerfile": f"FROM ruby:3.3-slim\nRUN touch {markers[10]}\nCMD [\"bin/rails\", \"server\"]\n",
        ".kamal/hooks/pre-connect": hook,
        ".kamal/hooks/pre-deploy": hook,
    }
    project = write_project(tmp_path, files)
    for name in ("pre-connect", "pre-deploy"):
        path = os.path.join(project, ".kamal", "hooks", name)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return project, markers


@pytest.mark.parametrize("structural_erb", [False, True], ids=["loads", "erb-writes-yaml"])
@pytest.mark.parametrize("args", [
    ["check"],
    ["check", "--format", "json", "-d", "staging"],
    ["check", "--all-destinations"],
    ["fix"],
    ["fix", "--write", "--unsafe-fixes"],
    ["fix", "--write", "--unsafe-fixes", "-d", "staging"],
])
def test_nothing_the_project_would_run_is_run(tmp_path, args, structural_erb):
    project, markers = project_that_would_run_commands(tmp_path, structural_erb)
    result = run_cli(*args, cwd=project)
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    assert [m for m in markers if os.path.exists(m)] == []


def test_the_erb_is_kept_as_written_after_a_fix(tmp_path):
    project, _ = project_that_would_run_commands(tmp_path)
    deploy = pathlib.Path(project, "config", "deploy.yml")
    before = deploy.read_text()
    result = run_cli("fix", "--write", "--unsafe-fixes", cwd=project)
    assert "changed" in result.output, result.output  # the fix did write the file
    after = deploy.read_text()
    erb_lines = [line for line in before.splitlines() if "<%" in line]
    assert erb_lines and all(line in after.splitlines() for line in erb_lines)
