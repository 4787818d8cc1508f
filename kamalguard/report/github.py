"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

GitHub shows at most 10 annotations of each level per step and drops the rest without a word, so the findings
past that limit go into one `::notice` that lists them (one notice slot is kept free for it).
"""

from __future__ import annotations

from . import ci

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
LIMIT = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def _message(finding) -> str:
    message = finding.message
    if finding.fix is not None:
        message += f"\nfix ({finding.fix.safety}): {finding.fix.description} (`kamalguard fix`)"
        if finding.fix.note:
            message += f"\nbehaviour change: {finding.fix.note}"
    return message


def render(outcome, options) -> str:
    root = ci.repository_root(outcome)
    # (level, line to print, how to list it in the summary when it does not fit)
    annotations = [("error", command("error", outcome.redact(error), title="kamalguard"), outcome.redact(error))
                   for error in outcome.errors]
    for finding in ci.active(outcome.findings):
        path = ci.repository_path(finding.file, root)
        line = command(LEVELS[finding.severity], outcome.redact(_message(finding)), file=path, line=finding.line,
                       col=finding.column, endLine=finding.end_line, endColumn=finding.end_column,
                       title=finding.rule.title)
        annotations.append((LEVELS[finding.severity], line,
                            f"{path}:{finding.line}:{finding.column}: {finding.rule.id} [{finding.severity}] "
                            f"{finding.message}"))
    per_level = {level: sum(1 for a in annotations if a[0] == level) for level in LEVELS.values()}
    overflow = any(n > LIMIT for n in per_level.values())
    limits = {level: LIMIT - (1 if overflow and level == "notice" else 0) for level in LEVELS.values()}
    shown, hidden, used = [], [], dict.fromkeys(LEVELS.values(), 0)
    for level, line, summary in annotations:
        if used[level] < limits[level]:
            used[level] += 1
            shown.append(line)
        else:
            hidden.append(summary)
    if hidden:
        head = (f"{len(hidden)} more finding{'s' if len(hidden) != 1 else ''} than GitHub shows as annotations "
                f"({LIMIT} per level); run `kamalguard check` for the full report:")
        shown.append(command("notice", "\n".join([head, *hidden]), title="kamalguard"))
    return "".join(line + "\n" for line in shown)
