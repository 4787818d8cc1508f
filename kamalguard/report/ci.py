"""What the CI formats (sarif, github, rdjson, gitlab, markdown) and the PR bot share: where a finding lives in the
repository, a fingerprint that survives edits elsewhere in the file, and the fix planner's suggestions.
"""

from __future__ import annotations

import hashlib
import os

from ..kamal.view import slash
from ..redact import MASK

SEVERITY_ORDER = ("error", "warning", "info")


def active(findings) -> list:
    """The findings a reviewer has to act on: every one that no suppression or policy exclusion covers."""
    return [f for f in findings if f.suppressed is None]


def repository_root(outcome) -> str:
    """The git work tree around the checked project (the nearest folder above it with `.git`), else the working
    directory: CI systems locate files relative to the repository, not to where kamalguard ran."""
    start = outcome.checked[0].target.root if outcome.checked else os.getcwd()
    folder = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.getcwd()
        folder = parent


def repository_path(file: str, root: str) -> str:
    """A finding's file (shown relative to the working directory) relative to the repository root, with `/`."""
    if file == "<stdin>":
        return file
    relative = os.path.relpath(os.path.abspath(file), root)
    if relative.startswith(".."):
        return os.path.abspath(file).replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def fingerprints(findings, root: str) -> dict[int, str]:
    """`id(finding)` → `<16 hex digits>:<occurrence>`, stable across runs.

    The hash covers the rule, the repository path, the YAML path and the stripped text of the finding's line, but
    not its line number or message (messages may quote line numbers), so lines added elsewhere change nothing.
    Identical inputs (the same key written twice, say) are told apart by their order in the file, the way GitHub's
    own line hashes count occurrences.
    """
    seen: dict[str, int] = {}
    result = {}
    for finding in findings:
        text = "\0".join((finding.rule.id, repository_path(finding.file, root), slash(finding.path),
                          finding.source_line.strip()))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        result[id(finding)] = f"{digest}:{seen[digest]}"
    return result


def fix_plan(outcome):
    """Every fix applied in memory and verified (`kamalguard.fix.planner`), or None when nothing is fixable."""
    if not any(f.fix is not None for f in active(outcome.findings)):
        return None
    from ..fix.planner import plan

    return plan(outcome, unsafe=True)


def suggestion(plan, finding):
    """The finding's own fix as a line-range replacement of the original file, or None.

    The planner masks secrets in the replacement; one that holds the mask is withheld, because committing it as a
    one-click change would write `***` into the config in place of the secret.
    """
    if plan is None or finding.fix is None or finding.suppressed is not None:
        return None
    found = plan.suggestion(finding)
    if found is None or MASK in found.replacement:
        return None
    return found


def fence(text: str, info: str = "") -> str:
    """`text` in a Markdown code fence longer than any run of backticks inside it."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def counts_line(findings) -> str:
    """`2 errors, 1 warning` for the findings given (severities with none are left out)."""
    parts = []
    for severity in SEVERITY_ORDER:
        n = sum(1 for f in findings if f.severity == severity)
        if n:
            parts.append(f"{n} {severity}{'s' if n != 1 and severity != 'info' else ''}")
    return ", ".join(parts)
