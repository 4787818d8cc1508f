"""SARIF 2.1.0, shaped for GitHub code scanning (github/codeql-action/upload-sarif).

Rules carry their documentation and a `security-severity`; results carry repository-relative locations, a
line hash that survives edits elsewhere, the fix as a SARIF `fixes[]` replacement, and suppressions.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from .. import __version__
from ..kamal.view import slash
from ..rules import all_rules
from ..rules.base import DOCS_URL
from . import ci

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = DOCS_URL.split("/blob/")[0]
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# GitHub reads 9.0+ as critical, 7.0-8.9 high, 4.0-6.9 medium, below 4.0 low (for rules tagged "security").
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "info": "2.0"}


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _first_paragraph(markdown: str) -> str:
    return " ".join(markdown.strip().split("\n\n")[0].split())


def _help_markdown(rule) -> str:
    parts = [f"**{rule.title}**: {rule.summary}.", rule.docs]
    if rule.references:
        parts.append("References:\n" + "\n".join(f"- [{title}]({url})" for title, url in rule.references))
    parts.append(f"Fix: {rule.fix if rule.fixable else 'no automatic fix'}.")
    return "\n\n".join(p for p in parts if p)


def _descriptor(rule) -> dict:
    tags = ["kamal", rule.family] + ([] if rule.family == "structural" else ["security"])
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(rule.docs) or rule.summary},
        "help": {"text": rule.docs or rule.summary, "markdown": _help_markdown(rule)},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[rule.severity], "tags": tags},
    }


def _suppression_kinds(outcome) -> dict[int, str]:
    """`id(finding)` → "inSource" when a `# kamalguard: ignore[...]` comment covers it, else "external" (a policy
    exclusion). Only suppressed findings are looked at, and only files that hold such a comment are scanned."""
    suppressed = [f for f in outcome.findings if f.suppressed is not None]
    if not suppressed:
        return {}
    from ..suppress import scan

    comments = []
    scanned = set()
    for checked in outcome.checked:
        for doc in checked.view.layers:
            if doc.path not in scanned:
                scanned.add(doc.path)
                comments += scan(doc)
    return {id(f): "inSource" if any(c.covers(f) for c in comments) else "external" for f in suppressed}


def _fix(finding, change, root: str, redact) -> dict:
    note = f" Behaviour change: {finding.fix.note}" if finding.fix.note else ""
    return {
        "description": {"text": redact(f"{finding.fix.description} ({finding.fix.safety} fix).{note}")},
        "artifactChanges": [{
            "artifactLocation": {"uri": _uri(ci.repository_path(change.file, root))},
            # whole lines, line breaks included: from the first line's start to the start of the line after
            "replacements": [{
                "deletedRegion": {"startLine": change.start_line, "startColumn": 1,
                                  "endLine": change.end_line + 1, "endColumn": 1},
                "insertedContent": {"text": change.replacement},
            }],
        }],
    }


def _result(finding, index: int, fingerprint: str, root: str, plan, suppression: str | None, redact) -> dict:
    result = {
        "ruleId": finding.rule.id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(ci.repository_path(finding.file, root))},
                "region": {"startLine": finding.line, "startColumn": finding.column,
                           "endLine": finding.end_line, "endColumn": max(finding.end_column, finding.column)},
            },
        }],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
    }
    properties = {"yamlPath": slash(finding.path), "role": finding.role, "accessory": finding.accessory,
                  "destination": finding.destination}
    properties = {k: v for k, v in properties.items() if v}
    if properties:
        result["properties"] = properties
    change = ci.suggestion(plan, finding)
    if change is not None:
        result["fixes"] = [_fix(finding, change, root, redact)]
    if suppression is not None:
        result["suppressions"] = [{"kind": suppression, "status": "accepted",
                                   "justification": redact(finding.suppressed)}]
    return result


def document(outcome) -> dict:
    rules = all_rules()
    index = {rule.id: i for i, rule in enumerate(rules)}
    root = ci.repository_root(outcome)
    prints = ci.fingerprints(outcome.findings, root)
    plan = ci.fix_plan(outcome)
    kinds = _suppression_kinds(outcome)
    run = {
        "tool": {"driver": {
            "name": "kamalguard",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_descriptor(rule) for rule in rules],
        }},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule.id], prints[id(f)], root, plan, kinds.get(id(f)), outcome.redact)
                    for f in outcome.findings],
    }
    if outcome.errors:
        run["invocations"] = [{
            "executionSuccessful": False,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": outcome.redact(error)}}
                                           for error in outcome.errors],
        }]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(outcome, options) -> str:
    return json.dumps(document(outcome), indent=2, ensure_ascii=False) + "\n"
