"""Human output: `path:line:col: KGnnn [severity] message`, the source line with a caret, then a summary."""

from __future__ import annotations

from . import safe_fixes, summary

COLORS = {"error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1", "fix": "32"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{COLORS[style]}m{text}\x1b[0m" if color else text


WIDTH = 120  # longer source lines are shown as a window around the finding


def _excerpt(finding) -> tuple[str, str]:
    """The source line (a window of it, when long) and the caret line under the finding's span."""
    line = finding.source_line.expandtabs(1)
    start = max(finding.column - 1, 0)
    end = finding.end_column - 1 if finding.end_line == finding.line else len(line)
    offset = 0
    if len(line) > WIDTH:
        offset = max(0, min(start - WIDTH // 4, len(line) - WIDTH))
        line = ("…" if offset else "") + line[offset : offset + WIDTH] + ("…" if offset + WIDTH < len(line) else "")
        offset -= 1 if offset else 0
    start -= offset
    width = max(min(end - offset, len(line)) - start, 1)
    return line, " " * start + "^" * min(width, max(len(line) - start, 1))


def render(outcome, options) -> str:
    color = options.color
    out = []
    for finding in outcome.findings:
        severity = _paint(finding.severity, finding.severity, color)
        head = f"{finding.file}:{finding.line}:{finding.column}: {finding.rule.id} [{severity}] {finding.message}"
        if finding.suppressed is not None:
            head = _paint(f"{head} (suppressed: {finding.suppressed})", "dim", color)
        out.append(head)
        if finding.source_line.strip():
            shown, caret = _excerpt(finding)
            out.append("    " + shown)
            out.append("    " + _paint(caret, finding.severity, color))
        if finding.fix is not None and finding.suppressed is None:
            out.append(_paint(f"    fix ({finding.fix.safety}): {finding.fix.description}", "fix", color))
            if finding.fix.note:
                out.append(f"    behaviour change: {finding.fix.note}")
    counts = summary(outcome.findings)
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info")]
    line = f"{len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''} checked: {', '.join(parts)}"
    if counts["fixable"]:
        line += "; " + _fixable(counts["fixable"], safe_fixes(outcome.findings))
    if counts["suppressed"]:
        line += f"; {counts['suppressed']} suppressed"
    out.append(_paint(line, "bold", color))
    return "\n".join(out) + "\n"


def _fixable(fixable: int, safe: int) -> str:
    if safe == fixable:
        return f"{fixable} fixable with `kamalguard fix --write`"
    if safe == 0:
        return f"{fixable} fixable with `kamalguard fix --write --unsafe-fixes`"
    return f"{fixable} fixable: {safe} with `kamalguard fix --write`, {fixable - safe} more with `--unsafe-fixes`"
