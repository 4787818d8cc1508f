"""The check pipeline: files → documents → Kamal view → rules → findings (suppressions applied).

    source (bytes to a Document with positions) → kamal (the merged view) → rules (findings) → report
"""

from __future__ import annotations

import os
import sys

from . import suppress
from .kamal.project import ProjectFiles, Target, display_path
from .kamal.view import View
from .policy import Policy, discover, load, matches
from .record import Record
from .redact import redact, secret_values
from .rules import all_rules
from .rules.base import RANK, Context, Finding, Rule
from .source.document import Document, load_text, undecodable
from .source.document import load as load_document
from .source.text import DecodeError, InputError, read, read_limited


class Selection(Record):
    __slots__ = ("ignore", "select")

    def __init__(self, select: list[str] | None = None, ignore: list[str] | None = None):
        self.select: list[str] = [] if select is None else select
        self.ignore: list[str] = [] if ignore is None else ignore

    def enabled(self, rule: Rule) -> bool:
        if self.select and not any(matches(rule, name) for name in self.select):
            return False
        return not any(matches(rule, name) for name in self.ignore)


class Checked(Record):
    """One target after the rules ran: what a fix or a report needs to know about it."""

    __slots__ = ("findings", "policy", "project", "selection", "target", "view")

    def __init__(self, target: Target, view: View, findings: list[Finding], policy: Policy, selection: Selection,
                 project: ProjectFiles):
        self.target = target
        self.view = view
        self.findings = findings
        self.policy = policy
        self.selection = selection
        self.project = project  # the files around the config, as the rules read them


class Outcome(Record):
    __slots__ = ("checked", "errors", "files", "findings", "secrets")

    def __init__(self, checked: list[Checked] | None = None, findings: list[Finding] | None = None,
                 files: list[str] | None = None, errors: list[str] | None = None, secrets: set[str] | None = None):
        self.checked: list[Checked] = [] if checked is None else checked
        self.findings: list[Finding] = [] if findings is None else findings
        self.files: list[str] = [] if files is None else files
        self.errors: list[str] = [] if errors is None else errors  # files that could not be read: exit 2
        self.secrets: set[str] = set() if secrets is None else secrets  # values no output may show

    def redact(self, text: str) -> str:
        return redact(text, self.secrets) if self.secrets else text


class Documents:
    """Parse each file once per run, even when several destinations share the base."""

    def __init__(self):
        self._docs: dict[str, Document] = {}
        self.texts: dict[str, str] = {}  # real path -> text of other project files, as patched in memory

    def get(self, path: str) -> Document:
        key = os.path.realpath(path)
        if key not in self._docs:
            shown = display_path(path)
            try:
                self._docs[key] = load_document(read(path, shown))
            except DecodeError as exc:
                self._docs[key] = undecodable(shown, exc)
        return self._docs[key]

    def preload(self, docs: list[Document]) -> None:
        """Use these documents (e.g. patched in memory) instead of reading their files."""
        for doc in docs:
            key = "-" if doc.path == "<stdin>" else os.path.realpath(doc.source.real_path or doc.path)
            self._docs[key] = doc

    def stdin(self) -> Document:
        if "-" not in self._docs:
            self._docs["-"] = load_text(read_limited(sys.stdin.buffer, "<stdin>"), "<stdin>")
        return self._docs["-"]


def check_target(target: Target, documents: Documents, policy: Policy, selection: Selection) -> Checked:
    layers = [documents.stdin() if target.stdin else documents.get(target.base)]
    if target.overlay:
        layers.append(documents.get(target.overlay))
    view = View(layers, target.destination)
    project = ProjectFiles(target.root, documents.texts)
    ctx = Context(view, project, policy)
    ctx.rules = rules = [r for r in all_rules() if selection.enabled(r)]
    for rule in rules:
        if rule.scope == "post" or (rule.scope == "config" and view.data is None):
            continue
        ctx.rule = rule
        rule.check(ctx)
    for finding in ctx.findings:
        override = policy.severity.get(finding.rule.id)
        if override:
            finding.severity = override
    ctx.suppressions = [s for doc in layers for s in suppress.scan(doc)]
    suppress.apply(ctx.findings, ctx.suppressions, policy)
    for rule in rules:
        if rule.scope == "post":
            ctx.rule = rule
            rule.check(ctx)
    return Checked(target, view, ctx.findings, policy, selection, project)


def run(targets: list[Target], selection: Selection, config: str | None = None) -> Outcome:
    outcome = Outcome()
    documents = Documents()
    policies: dict[str, Policy] = {}
    seen = set()
    for target in targets:
        try:
            if config:
                policy = policies.setdefault("--config", load(config, display_path(config)))
            else:
                if target.root not in policies:
                    found = discover(target.root)
                    policies[target.root] = load(found, display_path(found) if found else None)
                policy = policies[target.root]
            effective = Selection(selection.select or policy.select, [*policy.ignore, *selection.ignore])
            checked = check_target(target, documents, policy, effective)
        except InputError as exc:
            outcome.errors.append(str(exc))
            continue
        outcome.checked.append(checked)
        outcome.secrets |= secret_values(checked.view, checked.project)
        for doc in checked.view.layers:
            if doc.path not in outcome.files:
                outcome.files.append(doc.path)
        for finding in checked.findings:
            key = (finding.rule.id, finding.file, finding.line, finding.column, finding.message)
            if key not in seen:
                seen.add(key)
                outcome.findings.append(finding)
    outcome.findings.sort(key=lambda f: f.sort_key)
    for finding in outcome.findings:
        finding.message = outcome.redact(finding.message)
        finding.source_line = outcome.redact(finding.source_line)
        if finding.suppressed is not None:
            finding.suppressed = outcome.redact(finding.suppressed)
    return outcome


def exit_code(outcome: Outcome, fail_on: str) -> int:
    if outcome.errors:
        return 2
    if fail_on == "never":
        return 0
    threshold = RANK[fail_on]
    return int(any(RANK[f.severity] >= threshold for f in outcome.findings if f.suppressed is None))
