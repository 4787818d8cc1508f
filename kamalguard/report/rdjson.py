"""reviewdog's Diagnostic Format (rdjson): `kamalguard check --format rdjson | reviewdog -f=rdjson -reporter=...`.

Suggestions are whole-line replacements (ranges without columns), which reviewdog turns into ```suggestion blocks.
"""

from __future__ import annotations

import json
import os

from ..rules.base import DOCS_URL
from . import ci

SEVERITIES = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}
SOURCE = {"name": "kamalguard", "url": DOCS_URL.split("/blob/")[0]}


def _byte_column(line_text: str, column: int) -> int:
    """reviewdog counts columns in UTF-8 bytes; kamalguard in characters."""
    return len(line_text[: column - 1].encode("utf-8")) + 1


def _diagnostic(finding, plan) -> dict:
    text = finding.source_line
    end_column = _byte_column(text, finding.end_column) if finding.end_line == finding.line else finding.end_column
    diagnostic = {
        "message": finding.message,
        "location": {"path": finding.file, "range": {
            "start": {"line": finding.line, "column": _byte_column(text, finding.column)},
            "end": {"line": finding.end_line, "column": end_column},
        }},
        "severity": SEVERITIES[finding.severity],
        "source": SOURCE,
        "code": {"value": finding.rule.id, "url": finding.rule.help_uri},
    }
    change = ci.suggestion(plan, finding)
    # a suggestion replaces lines of the diagnostic's own file; a fix that lands in another file cannot be one
    if change is not None and os.path.normpath(change.file) == os.path.normpath(finding.file):
        diagnostic["suggestions"] = [{
            "range": {"start": {"line": change.start_line}, "end": {"line": change.end_line}},
            "text": change.replacement.removesuffix("\n"),
        }]
    return diagnostic


def render(outcome, options) -> str:
    plan = ci.fix_plan(outcome)
    document = {"source": SOURCE, "diagnostics": [_diagnostic(f, plan) for f in ci.active(outcome.findings)]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
