"""Rule documentation, rendered from each rule's own definition: `kamalguard rules`, `kamalguard explain`, and the
rules table in the README (tests/test_docs.py keeps that table in step with this output)."""

from __future__ import annotations

import json
import re

from .rules import all_rules
from .rules.base import Rule

FIX_WORDS = {"none": "no fix"}


def _fix(rule: Rule) -> str:
    return FIX_WORDS.get(rule.fix, rule.fix)


def rules_text() -> str:
    rows = [f"{r.id}  {r.slug:<28} {r.severity:<8} {r.summary}" for r in all_rules()]
    return "\n".join(rows) + "\n"


def rule_json(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "slug": rule.slug,
        "severity": rule.severity,
        "family": rule.family,
        "summary": rule.summary,
        "fix": rule.fix,
        "references": [{"title": t, "url": u} for t, u in rule.references],
        "settings": rule.settings,
        "docs": rule.docs,
        "help_uri": rule.help_uri,
    }


def rules_json() -> str:
    return json.dumps([rule_json(r) for r in all_rules()], indent=2) + "\n"


def rules_markdown() -> str:
    lines = ["| id | slug | severity | checks | fix |", "|---|---|---|---|---|"]
    for r in all_rules():
        lines.append(f"| {r.id} | {r.slug} | {r.severity} | {r.summary.replace('|', '/')} | {_fix(r)} |")
    return "\n".join(lines) + "\n"


def _files(example) -> str:
    parts = []
    for name, text in example.files.items():
        parts.append(f"# {name}\n{text.rstrip()}")
    if example.destination:
        parts.append(f"# (checked with -d {example.destination})")
    return "\n".join(parts)


def explain(rule: Rule) -> str:
    out = [f"{rule.id} {rule.slug} [{rule.severity}]", "", rule.summary + ".", "", rule.docs, ""]
    out.append(f"Fix: {_fix(rule)}")
    if rule.settings:
        out.append("Settings (.kamalguard.yml, rules: " + rule.id + "): " +
                   ", ".join(f"{k} (default: {v!r})" for k, v in rule.settings.items()))
    if rule.references:
        out += ["", "References:"] + [f"- {title}: {url}" for title, url in rule.references]
    if rule.failing is not None:
        out += ["", "Fails:", _indent(_files(rule.failing))]
    if rule.passing is not None:
        out += ["", "Passes:", _indent(_files(rule.passing))]
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.splitlines())


def rules_reference() -> str:
    """docs/rules.md: every rule's full documentation, the page `help_uri` links point at."""
    out = ["# kamalguard rules", "",
           "Generated from the rules themselves (`kamalguard explain ID` prints the same text); do not edit.", ""]
    for rule in all_rules():
        docs = re.sub(r"^(#+) ", r"#\1 ", rule.docs, flags=re.M)  # the rule's own headings nest under its title
        out += [f"## {rule.id} {rule.slug}", "", f"**{rule.severity}** · {rule.summary}. Fix: {_fix(rule)}.", "",
                docs, ""]
        if rule.settings:
            out += ["Settings (`.kamalguard.yml`, `rules: " + rule.id + ":`): " +
                    ", ".join(f"`{k}` (default: `{v!r}`)" for k, v in rule.settings.items()), ""]
        if rule.references:
            out += ["References:", *[f"- [{title}]({url})" for title, url in rule.references], ""]
        for label, example in (("Fails", rule.failing), ("Passes", rule.passing)):
            if example is not None:
                out += [f"{label}:", "", "```yaml", _files(example), "```", ""]
    return "\n".join(out)
