"""A pull-request comment: a summary by severity, the findings by file and by role or accessory (each linked to
its rule's documentation), the behaviour changes the fixes make, and the whole fix as a collapsible diff.

`kamalguard pr-comment` posts this body as its sticky comment; `check --format markdown` prints it.
"""

from __future__ import annotations

import re

from . import ci, safe_fixes, summary

ICONS = {"error": "🔴", "warning": "🟡", "info": "🔵"}
TITLE = "kamalguard"
DIFF_TOO_LONG = "_The diff is too long for a comment: run `kamalguard fix --unsafe-fixes` to see it._"


def inline(text: str) -> str:
    """One line of Markdown: HTML is escaped outside `code spans` (where GitHub shows it as written)."""
    parts = re.split(r"(`+[^`]*`+)", " ".join(text.split()))
    return "".join(p if p.startswith("`") else p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for p in parts)


def _owner(finding) -> tuple[int, str]:
    """Its group: roles first, then accessories, then everything else."""
    if finding.role is not None:
        return 0, f"role `{finding.role}`"
    if finding.accessory is not None:
        return 1, f"accessory `{finding.accessory}`"
    return 2, "other settings"


def _finding(finding, reviewed, redact) -> list[str]:
    rule = finding.rule
    where = f"line {finding.line}" + (f" (`-d {finding.destination}`)" if finding.destination else "")
    lines = [f"- {ICONS[finding.severity]} **[{rule.title}]({rule.help_uri})** {where}: {inline(finding.message)}"]
    if finding.fix is not None:
        fix = f"  - fix ({finding.fix.safety}): {inline(redact(finding.fix.description))}"
        if id(finding) in reviewed:
            fix += " (suggested in the review)"
        lines.append(fix)
    return lines


def _findings(findings, reviewed, redact) -> list[str]:
    out = []
    for file in dict.fromkeys(f.file for f in findings):
        out += ["", f"#### `{file}`"]
        in_file = [f for f in findings if f.file == file]
        for owner in sorted(dict.fromkeys(map(_owner, in_file)), key=lambda o: o[0]):  # file order within a kind
            out += ["", f"**{owner[1]}**", ""]
            for finding in in_file:
                if _owner(finding) == owner:
                    out += _finding(finding, reviewed, redact)
    return out


def _summary(outcome, findings) -> list[str]:
    counts = summary(outcome.findings)
    rows = ["| | severity | findings |", "|---|---|---|"]
    rows += [f"| {ICONS[s]} | {s} | {counts[s]} |" for s in ci.SEVERITY_ORDER]
    extra = []
    if counts["fixable"]:
        extra.append(f"{counts['fixable']} fixable ({safe_fixes(findings)} safe): `kamalguard fix --write` applies "
                     "the safe fixes, with `--unsafe-fixes` the others too")
    if counts["suppressed"]:
        extra.append(f"{counts['suppressed']} suppressed")
    head = [f"### {TITLE}: {ci.counts_line(findings) or 'no findings'}", "", *rows]
    return head + (["", "; ".join(extra) + "."] if extra else [])


def _fix_sections(plan, diff: str, with_diff: bool, redact) -> list[str]:
    """The notes and the diff (which the planner has already redacted)."""
    if not diff:
        return []
    out = []
    if plan.notes:
        out += ["", "#### Behaviour changes the fix makes", ""] + [f"- {inline(redact(note))}" for note in plan.notes]
    body = ci.fence(diff, "diff") if with_diff else DIFF_TOO_LONG
    out += ["", "<details>", "<summary>The whole fix as a diff (<code>kamalguard fix --unsafe-fixes</code>)</summary>",
            "", body, "", "</details>"]
    return out


def report(outcome, plan=None, *, reviewed=frozenset(), limit: int | None = None) -> str:
    """The comment body. `reviewed` holds `id(finding)` of the findings whose fix a review suggests inline;
    with `limit` (characters), the diff and then findings are left out until the body fits."""
    findings = ci.active(outcome.findings)
    if not findings and not outcome.errors:
        files = len(outcome.files)
        suppressed = len(outcome.findings)
        return (f"### {TITLE}: all clear\n\nNo findings in {files} file{'s' if files != 1 else ''}"
                + (f" ({suppressed} suppressed)" if suppressed else "") + ".\n")
    head = _summary(outcome, findings)
    if outcome.errors:
        head += ["", "Files that could not be checked:", *[f"- {inline(outcome.redact(e))}" for e in outcome.errors]]
    diff = plan.diff if plan is not None else ""
    shown, with_diff = len(findings), True
    while True:
        listed = _findings(findings[:shown], reviewed, outcome.redact)
        if shown < len(findings):
            listed += ["", f"_… and {len(findings) - shown} more: run `kamalguard check` for the full report._"]
        text = "\n".join(head + listed + _fix_sections(plan, diff, with_diff, outcome.redact)) + "\n"
        if limit is None or len(text) <= limit or shown == 0:
            return text
        if with_diff:
            with_diff = False
        else:
            shown = min(shown - 1, shown * limit // len(text))


def render(outcome, options) -> str:
    return report(outcome, ci.fix_plan(outcome))
