"""Hostile and broken input: `check` and `fix` answer each with one clear line and exit 1 (a KG001 finding) or 2
(the file cannot be read), never with a traceback, and never spend unbounded time or memory on it.

The size limit is kamalguard.source.text.MAX_FILE_BYTES (2 MiB), for every file kamalguard reads and for stdin.
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import random
import time
import tracemalloc

import pytest
from click.testing import CliRunner

from kamalguard.cli import main
from kamalguard.source.document import load_text
from kamalguard.source.nodes import MAX_DEPTH, Alias
from kamalguard.source.text import MAX_FILE_BYTES

from .conftest import VALID, write_project

# Generous: on a quiet machine each of these takes well under a second.
SECONDS = 10


def invoke(cwd, *args, stdin=None):
    """kamalguard in-process, exceptions caught by click's runner so a crash shows up as one, not as a test error."""
    old = os.getcwd()
    try:
        os.chdir(cwd)
        started = time.perf_counter()
        result = CliRunner().invoke(main, list(args), input=stdin)
        result.seconds = time.perf_counter() - started
        return result
    finally:
        os.chdir(old)


def assert_no_crash(result):
    said = result.output
    assert "Traceback" not in said and "internal error" not in said, said
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), said
    assert result.seconds < SECONDS, f"took {result.seconds:.1f}s"


def assert_finding(result, rule: str, fragment: str):
    """Exit 1 with the finding: a `path:line:col: KG001 [error] message` line that says what is wrong."""
    assert_no_crash(result)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if f": {rule} [" in line]
    assert lines and fragment in lines[0], result.output


def assert_unreadable(result, fragment: str):
    """Exit 2 with exactly one line `kamalguard: path: what is wrong` (in the text report, or on stderr)."""
    assert_no_crash(result)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("kamalguard: ")]
    assert len(errors) == 1 and fragment in errors[0], result.output


def assert_json(result, rule: str | None = None):
    """JSON output parses, whatever happened; and holds the finding when there is one."""
    assert_no_crash(result)
    report = json.loads(result.stdout)
    if rule:
        assert result.exit_code == 1 and rule in {f["rule"] for f in report["findings"]}
    return report


def bytes_of(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


# name: (config/deploy.yml bytes, rule, what the message says)
BROKEN = {
    "empty": (b"", "KG001", "empty or only comments"),
    "comments-only": (b"# service: shop\n  # image: acme/shop\n\n", "KG001", "empty or only comments"),
    "root-list": (b"- service: shop\n- image: acme/shop\n", "KG001", "top level is a list"),
    "root-scalar": (b"just some words\n", "KG001", "top level is a single value"),
    "binary": (bytes(random.Random(7).randrange(256) for _ in range(4096)), "KG001", "not UTF-8"),
    "nul-bytes": (b"service: shop\x00\x00\nimage: x\n", "KG001", ""),
    "invalid-utf8": (VALID.replace("shop", "caf\udce9", 1).encode("utf-8", "surrogateescape"), "KG001",
                     "not UTF-8"),
    "utf16": (VALID.encode("utf-16"), "KG001", "not UTF-8"),
    "flow-nesting-10000": (b"service: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "KG001", "nests deeper"),
    "flow-map-nesting-10000": (b"service: " + b"{a: " * 10_000 + b"x" + b"}" * 10_000 + b"\n", "KG001",
                               "nests deeper"),
    "block-nesting-10000": (b"servers:\n" + b"- " * 10_000 + b"x\n", "KG001", "nests deeper"),
    # 10,000 indentation levels take 50 MB (refused by size, below); 1,800 fit under the limit
    "indent-nesting-1800": ("".join(" " * i + f"k{i}:\n" for i in range(1800)).encode(), "KG001", "nests deeper"),
    "alias-bomb": (("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        + VALID).encode(), "KG001", "alias bomb"),
    "recursive-alias-map": (b"service: &a\n  b: *a\n", "KG001", "recursive alias"),
    "recursive-alias-list": (b"servers: &a [*a]\n", "KG001", "recursive alias"),
    "undefined-alias": (VALID.replace("shop\n", "*nowhere\n", 1).encode(), "KG001", "undefined alias"),
    "alias-chain-deeper-than-the-limit": (("x-a0: &a0 [v]\n" + "".join(
        f"x-a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 300)) + VALID).encode(), "KG001", "deeper than"),
    "many-values": ("".join(f"k{i}: v\n" for i in range(160_000)).encode()[:MAX_FILE_BYTES], "KG001",
                    "100,000 values"),
    "unclosed-erb-tags": (b"<% " * 600_000, "KG001", "never closed"),
    "tab-indentation": (b"service: shop\nservers:\n\t- 192.0.2.10\n", "KG001", ""),
    "unterminated-quote": (b'service: "shop\nimage: acme/shop\n', "KG001", ""),
    "multiple-documents": ((VALID + "---\nservice: other\n---\n[").encode(), "KG009", "Kamal reads only the first"),
}


@pytest.fixture(params=sorted(BROKEN))
def broken(request, tmp_path):
    content, rule, fragment = BROKEN[request.param]
    return write_project(tmp_path, {"config/deploy.yml": content}), rule, fragment


def test_check_reports_broken_files_as_a_finding(broken):
    project, rule, fragment = broken
    assert_finding(invoke(project, "check"), rule, fragment)
    assert_json(invoke(project, "check", "--format", "json"), rule)


def test_fix_leaves_broken_files_alone_without_crashing(broken):
    project, rule, _ = broken
    deploy = pathlib.Path(project, "config", "deploy.yml")
    before = deploy.read_bytes()
    for args in (["fix"], ["fix", "--write", "--unsafe-fixes"]):
        result = invoke(project, *args)
        assert_no_crash(result)
        if rule == "KG001":  # nothing loads, so nothing may change
            assert deploy.read_bytes() == before
    assert result.exit_code == 1  # with --write, the exit code is the check's


def test_fix_dry_run_says_why_a_broken_file_cannot_be_fixed(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": b"servers: [\n"})
    result = invoke(project, "fix")
    assert result.exit_code == 1 and "KG001" in result.output


def test_the_size_limit_is_2_mib_for_files_and_stdin(tmp_path):
    assert MAX_FILE_BYTES == 2 * 1024 * 1024
    project = write_project(tmp_path, {"config/deploy.yml": VALID})
    with open(f"{project}/config/deploy.yml", "r+b") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB without writing them: a sparse file
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command), "2048 KiB")
    assert_json(invoke(project, "check", "--format", "json"))
    at_the_limit = VALID + "#" * (MAX_FILE_BYTES - len(VALID) - 1) + "\n"
    with open(f"{project}/config/deploy.yml", "w") as handle:
        handle.write(at_the_limit)
    result = invoke(project, "check")
    assert_no_crash(result)
    assert result.exit_code == 1 and "KG001" not in result.output
    with open(f"{project}/config/deploy.yml", "a") as handle:
        handle.write("\n")
    assert_unreadable(invoke(project, "check"), "2048 KiB")
    fifty_mb = (VALID + "#" * 1000 + "\n") * (50 * 1024)
    assert_unreadable(invoke(project, "check", "-", stdin=fifty_mb), "<stdin>: is larger than 2048 KiB")


def test_indentation_nested_10000_levels_is_refused_by_size(tmp_path):
    text = "".join(" " * i + f"k{i}:\n" for i in range(10_000))
    assert len(text) > MAX_FILE_BYTES
    project = write_project(tmp_path, {"config/deploy.yml": text})
    assert_unreadable(invoke(project, "check"), "KiB")


def bomb(levels: int) -> str:
    names = [f"l{i}" for i in range(levels)]
    text = f"{names[0]}: &{names[0]} [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for previous, name in itertools.pairwise(names):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    return text + VALID


def test_alias_bomb_takes_bounded_time_and_memory_and_is_never_expanded():
    text = bomb(30)  # 9**30 values once expanded
    tracemalloc.start()
    started = time.perf_counter()
    doc = load_text(text)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert doc.problem is not None and "alias bomb" in doc.problem.message
    assert doc.data is None
    assert seconds < 2 and peak < 20 * 1024 * 1024, (seconds, peak)
    # the node tree holds each alias as a reference to its anchor: 9 per line, not 9**n copies
    last = next(value for key, value in doc.root.entries if key.value == "l29")
    assert len(last.items) == 9 and all(isinstance(item, Alias) for item in last.items)
    assert len({id(item.target) for item in last.items}) == 1


def test_deeply_nested_input_stops_at_the_depth_limit_quickly():
    for text in ("a: " + "[" * 100_000 + "]" * 100_000, "a:\n" + "- " * 100_000 + "x"):
        started = time.perf_counter()
        doc = load_text(text)
        assert time.perf_counter() - started < 2
        assert f"deeper than {MAX_DEPTH} levels" in doc.problem.message
    assert load_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)).problem is None


def test_stdin_with_bad_input(tmp_path):
    project = write_project(tmp_path, {})
    for stdin, fragment in ((b"servers: [\n", "did not find"), (b"\xff\xfe\x00s", "not UTF-8"), (b"", "empty"),
                            (b"- a\n", "top level is a list")):
        assert_finding(invoke(project, "check", "-", stdin=stdin), "KG001", fragment)
        assert_json(invoke(project, "check", "--format", "json", "-", stdin=stdin), "KG001")
        assert_no_crash(invoke(project, "fix", "-", stdin=stdin))


def test_a_directory_where_a_file_is_expected(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml/oops": "", "other/readme": ""})
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command), "config/deploy.yml: is a directory")
        assert_unreadable(invoke(project, command, "other"), "other: is a folder without config/deploy.yml")
    result = invoke(project, "check", "--config", "other", "other")
    assert_no_crash(result)
    assert result.exit_code == 2 and "is a directory" in result.output
    staged = write_project(tmp_path / "staged", {"config/deploy.yml": VALID, "config/deploy.staging.yml/x": ""})
    assert_unreadable(invoke(staged, "check", "-d", "staging"), "config/deploy.staging.yml: is a directory")


def make_unreadable(path, monkeypatch):
    """chmod 000; as root, who reads anything, make opening that one path fail as it would for anyone else."""
    os.chmod(path, 0)
    try:
        open(path, "rb").close()
    except PermissionError:
        return
    real_open = open
    refused = os.path.realpath(path)

    def refusing_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == refused:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)


@pytest.mark.parametrize("unreadable, args", [
    ("config/deploy.yml", []), ("config/deploy.staging.yml", ["-d", "staging"]), (".kamalguard.yml", []),
])
def test_a_file_that_may_not_be_read(tmp_path, monkeypatch, unreadable, args):
    project = write_project(tmp_path, {"config/deploy.yml": VALID, "config/deploy.staging.yml": "env: {}\n",
                                       ".kamalguard.yml": "ignore: [KG101]\n"})
    make_unreadable(os.path.join(project, unreadable), monkeypatch)
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command, *args), f"{unreadable}: permission denied")


def test_an_unreadable_pyproject_toml(tmp_path, monkeypatch):
    project = write_project(tmp_path, {"config/deploy.yml": VALID, "pyproject.toml": "[tool.kamalguard]\n"})
    make_unreadable(os.path.join(project, "pyproject.toml"), monkeypatch)
    assert_unreadable(invoke(project, "check"), "pyproject.toml: Permission denied")


def test_a_report_or_patch_that_cannot_be_written(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID})
    for args in (["check", "--output", "no/such/folder/report.json"], ["fix", "--patch", "no/such/folder/fix.patch"]):
        assert_unreadable(invoke(project, *args), "no/such/folder/")


def test_symlink_loops(tmp_path):
    project = write_project(tmp_path, {"config/.keep": ""})
    os.symlink("deploy.yml", f"{project}/config/deploy.yml")  # points at itself
    os.symlink("b.yml", f"{project}/a.yml")
    os.symlink("a.yml", f"{project}/b.yml")
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command), "config/deploy.yml: cannot be read")
        assert_unreadable(invoke(project, command, "a.yml"), "a.yml: cannot be read")
    staged = write_project(tmp_path / "staged", {"config/deploy.yml": VALID})
    os.symlink("deploy.staging.yml", f"{staged}/config/deploy.staging.yml")
    assert_unreadable(invoke(staged, "check", "-d", "staging"), "deploy.staging.yml: cannot be read")


def test_a_path_that_does_not_exist(tmp_path):
    for command in ("check", "fix"):
        assert_unreadable(invoke(tmp_path, command, "nope/deploy.yml"), "nope/deploy.yml: no such file")
        assert_unreadable(invoke(tmp_path, command, "nowhere"), "nowhere: no such file")
    report = assert_json(invoke(tmp_path, "check", "--format", "json", "nowhere"))
    assert report["findings"] == []


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_not_read(tmp_path):
    assert_unreadable(invoke(tmp_path, "check", "/dev/zero"), "is a device")


def test_a_destination_whose_overlay_is_missing(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID})
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command, "-d", "staging"), "destination 'staging' has no overlay file")


@pytest.mark.parametrize("policy, fragment", [
    ("ignore: [KG101\n", ".kamalguard.yml:2:1: not valid YAML: did not find expected"),
    ("ignroe: [KG101]\n", ".kamalguard.yml:1:1: the top level: unknown setting: 'ignroe'"),
    ("rules:\n  KG102:\n    writeable_paths: [/tmp]\n", ".kamalguard.yml:3:5: rules/KG102: unknown setting"),
    ("fail-on: sometimes\n", ".kamalguard.yml:1:1: fail-on: 'sometimes' is not one of"),
    ("ignore: &a [*a]\n", "recursive alias"),
    ("\xff", ".kamalguard.yml:1:1"),
    ("- KG101\n", ".kamalguard.yml:1:1: a policy is a mapping of settings"),
])
def test_a_bad_policy_file(tmp_path, policy, fragment):
    project = write_project(tmp_path, {"config/deploy.yml": VALID,
                                       ".kamalguard.yml": policy.encode("latin-1")})
    for command in ("check", "fix"):
        assert_unreadable(invoke(project, command), fragment)


def test_a_bad_pyproject_policy(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": VALID, "pyproject.toml": "[tool.kamalguard]\nignore = [\n"})
    assert_unreadable(invoke(project, "check"), "pyproject.toml")
    project = write_project(tmp_path / "b", {"config/deploy.yml": VALID,
                                             "pyproject.toml": "[tool.kamalguard]\nignroe = []\n"})
    assert_unreadable(invoke(project, "check"), "unknown setting: 'ignroe'")


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    """`kamalguard check | head -1`: the closed pipe ends kamalguard quietly."""
    import subprocess
    import sys

    unknown_keys = "".join(f"unknown{i}: 1\n" for i in range(3000))  # 3000 findings: more than a pipe holds
    project = write_project(tmp_path, {"config/deploy.yml": VALID + unknown_keys})
    process = subprocess.Popen([sys.executable, "-m", "kamalguard", "check", "--fail-on", "never"], cwd=project,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
