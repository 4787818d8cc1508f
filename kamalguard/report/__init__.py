"""Reporters: findings to text for people and to the formats CI systems read.

Each format module has `render(outcome, options) -> str`.
"""

from __future__ import annotations

import importlib

from ..record import Frozen

FORMATS = {
    "text": "text",
    "json": "jsonfmt",
    "sarif": "sarif",
    "github": "github",
    "rdjson": "rdjson",
    "gitlab": "gitlab",
    "markdown": "markdown",
}


class Options(Frozen):
    __slots__ = ("color",)

    def __init__(self, color: bool = False):
        self.color = color


def render(name: str, outcome, options: Options) -> str:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    return module.render(outcome, options)


def summary(findings) -> dict:
    counts = {"error": 0, "warning": 0, "info": 0, "fixable": 0, "suppressed": 0}
    for finding in findings:
        if finding.suppressed is not None:
            counts["suppressed"] += 1
            continue
        counts[finding.severity] += 1
        if finding.fix is not None:
            counts["fixable"] += 1
    return counts


def safe_fixes(findings) -> int:
    """How many unsuppressed findings `kamalguard fix --write` fixes without `--unsafe-fixes`."""
    return sum(1 for f in findings if f.suppressed is None and f.fix is not None and f.fix.safety == "safe")
