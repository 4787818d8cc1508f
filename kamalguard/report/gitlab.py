"""GitLab Code Quality (a subset of the Code Climate spec): `artifacts: reports: codequality: kamalguard.json`."""

from __future__ import annotations

import json

from . import ci

# GitLab's levels are info, minor, major, critical and blocker; blocker is left for nothing kamalguard can judge.
SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}


def render(outcome, options) -> str:
    root = ci.repository_root(outcome)
    prints = ci.fingerprints(outcome.findings, root)
    issues = []
    for finding in ci.active(outcome.findings):
        issues.append({
            "type": "issue",
            "description": f"{finding.rule.id} {finding.message}",
            "check_name": finding.rule.title,
            "fingerprint": prints[id(finding)],
            "severity": SEVERITIES[finding.severity],
            "categories": ["Bug Risk" if finding.rule.family == "structural" else "Security"],
            "location": {"path": ci.repository_path(finding.file, root),
                         "lines": {"begin": finding.line, "end": finding.end_line}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
