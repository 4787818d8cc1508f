"""`kamalguard fix`: show the diff, or write it, and say what was done file by file."""

from __future__ import annotations

import sys
from collections import Counter

import click

from .planner import plan
from .write import writable, write_atomic


def _counts(findings) -> str:
    counted = Counter(f.rule.id for f in findings)
    return ", ".join(f"{rule} x{n}" if n > 1 else rule for rule, n in sorted(counted.items()))


def run_fix(outcome, *, write: bool, unsafe: bool, patch_file: str | None, color: bool) -> int:
    """Returns the exit code: dry run 1 when there is a diff, 0 when nothing to fix; --write 0 when written."""
    for error in outcome.errors:
        click.echo(f"kamalguard: {error}", err=True)
    if outcome.errors:
        return 2
    result = plan(outcome, unsafe=unsafe)
    unloadable = _unloadable(outcome)
    diff = result.diff
    if patch_file:
        with open(patch_file, "w", encoding="utf-8", newline="") as handle:
            handle.write(diff)
    if not write:
        if result.notes:
            click.echo("Behaviour changes in this fix:")
            for note in result.notes:
                click.echo(f"  - {note}")
            click.echo("")
        click.echo(_colored(diff) if color else diff, nl=False)
    else:
        _write(result)
    _tell_leftovers(result, unsafe)
    for error in result.errors:
        click.echo(f"kamalguard: {error}", err=True)
    for finding in unloadable:
        click.echo(f"{finding.file}:{finding.line}:{finding.column}: {finding.rule.id} [{finding.severity}] "
                   f"{finding.message}: nothing can be fixed until the file loads", err=True)
    if result.errors:
        return 2
    if write:
        return 1 if unloadable else 0
    return 1 if diff or unloadable else 0


def _colored(diff: str) -> str:
    """The diff as a terminal shows one: removed lines red, added green, hunk headers cyan."""
    styles = (("+++", "1"), ("---", "1"), ("@@", "36"), ("+", "32"), ("-", "31"))
    lines = []
    for line in diff.splitlines(keepends=True):
        code = next((c for prefix, c in styles if line.startswith(prefix)), None)
        lines.append(f"\x1b[{code}m{line.rstrip(chr(10))}\x1b[0m\n" if code else line)
    return "".join(lines)


def _unloadable(outcome) -> list:
    """The findings that stop a config from loading at all (KG001): no fix can be planned for it."""
    broken = {doc.path for checked in outcome.checked if checked.view.data is None for doc in checked.view.layers
              if doc.problem is not None}
    return [f for f in outcome.findings if f.rule.id == "KG001" and f.file in broken]


def _touched(finding) -> set[str]:
    """The files a finding's fix changes: the file an edit names (.dockerignore, a BOM), else the finding's."""
    return {getattr(edit, "file", None) or finding.file for edit in finding.fix.edits}


def _write(result) -> None:
    for patch in result.files:  # every file first, so a refusal leaves all of them as they were
        writable(patch.source.real_path or patch.path, None if patch.created else patch.source.raw)
    for patch in result.files:
        write_atomic(patch.source.real_path or patch.path, patch.new_bytes(), None if patch.created else
                     patch.source.raw)
        fixed = [f for f in result.applied if patch.path in _touched(f)]
        what = "created" if patch.created else "changed"
        click.echo(f"{patch.path}: {what}, fixing {len(fixed)} finding{'s' if len(fixed) != 1 else ''}"
                   f"{' (' + _counts(fixed) + ')' if fixed else ''}")
    if not result.files:
        click.echo("nothing to fix")


def _tell_leftovers(result, unsafe: bool) -> None:
    sys.stdout.flush()  # the diff first, then what was left out, even when both go to one terminal
    if result.not_selected and not unsafe:
        click.echo(f"{len(result.not_selected)} more fix{'es' if len(result.not_selected) != 1 else ''} "
                   f"change behaviour or guess a value ({_counts(result.not_selected)}): review them with "
                   f"--unsafe-fixes", err=True)
    for skipped in result.skipped:
        finding = skipped.finding
        click.echo(f"{finding.file}:{finding.line}:{finding.column}: {finding.rule.id} not fixed: {skipped.reason}; "
                   f"fix it by hand", err=True)



