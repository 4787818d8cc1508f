"""What a rule is, what it reports, and the context it runs in.

A rule is one function with its metadata beside it, declared with `@rule(...)`: id, slug, severity, summary,
references, fix safety, a failing and a passing example, and its documentation (the function's docstring, in
Markdown). `kamalguard explain`, `kamalguard rules`, the README's table and the tests all read that one place.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from ..fix.edits import AddItems, Edit, HostListToRoleMap, SetKey
from ..kamal.view import Container, View, slash
from ..record import Frozen, Record
from ..source.document import Document, Path

SEVERITIES = ("error", "warning", "info")
RANK = {"info": 1, "warning": 2, "error": 3}
DOCS_URL = "https://github.com/kamalguard/kamalguard/blob/main/docs/rules.md"


class Example(Frozen):
    """A small project: config/deploy.yml plus any other files the rule reads, and options to check it with."""

    __slots__ = ("_files", "destination", "policy", "written")

    def __init__(self, written: dict, destination: str | None = None, policy: dict | None = None):
        self.written = written  # project path -> text, indented as written in the rule's module
        self.destination = destination
        self.policy = policy
        self._files: dict | None = None

    @property
    def files(self) -> dict:
        """Project path -> file text. Dedented on first use: only the tests and the docs read examples."""
        if self._files is None:
            self._files = {path: inspect.cleandoc(text) + "\n" for path, text in self.written.items()}
        return self._files

    @property
    def deploy(self) -> str:
        return self.files["config/deploy.yml"]


def example(deploy: str, destination: str | None = None, policy: dict | None = None, **files: str) -> Example:
    """`example(yaml, Dockerfile="...", dockerignore="...")`; keyword names map to project files."""
    names = {"Dockerfile": "Dockerfile", "dockerignore": ".dockerignore", "secrets": ".kamal/secrets",
             "gitignore": ".gitignore", "overlay": f"config/deploy.{destination}.yml"}
    project = {"config/deploy.yml": deploy}
    for name, text in files.items():
        project[names.get(name, name)] = text
    return Example(project, destination, policy)


class Rule(Frozen):
    __slots__ = (
        "_docs",
        "check",
        "failing",
        "family",
        "fix",
        "id",
        "passing",
        "references",
        "scope",
        "settings",
        "severity",
        "slug",
        "summary",
    )

    def __init__(self, id: str, slug: str, severity: str, summary: str, docs: str | None,
                 check: Callable[[Context], Iterable[None] | None], family: str = "structural",
                 references: tuple[tuple[str, str], ...] = (), fix: str = "none", failing: Example | None = None,
                 passing: Example | None = None, settings: dict | None = None, scope: str = "config"):
        self.id = id
        self.slug = slug
        self.severity = severity
        self.summary = summary  # one line: what is wrong when it fires
        self.check = check
        self.family = family
        self.references = references  # (title, url)
        self.fix = fix  # "safe", "unsafe", "none", or "safe/unsafe: when" in words
        self.failing = failing
        self.passing = passing
        self.settings: dict = {} if settings is None else settings  # per-rule policy settings and their defaults
        # "config": runs on the merged view; "file": on each file, even one that won't load; "post": after
        # suppressions
        self.scope = scope
        self._docs = docs  # None: the check function's docstring

    @property
    def docs(self) -> str:
        """Markdown: what it checks, why, how to fix. A docstring is dedented on first use: a check never reads it."""
        if self._docs is None:
            self._docs = inspect.cleandoc(self.check.__doc__ or "")
        return self._docs

    @property
    def title(self) -> str:
        return f"{self.id} {self.slug}"

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}#{self.id.lower()}-{self.slug}"

    @property
    def fixable(self) -> bool:
        return self.fix != "none"


_REGISTERED: list[Rule] = []


def rule(*, id: str, slug: str, severity: str, summary: str, family: str = "structural",
         references: Iterable[tuple[str, str]] = (), fix: str = "none", failing: Example | None = None,
         passing: Example | None = None, settings: dict | None = None, scope: str = "config"):
    assert severity in SEVERITIES, severity

    def register(check: Callable) -> Rule:
        new = Rule(id=id, slug=slug, severity=severity, summary=summary, docs=None, check=check, family=family,
                   references=tuple(references), fix=fix, failing=failing, passing=passing,
                   settings=dict(settings or {}), scope=scope)
        _REGISTERED.append(new)
        return new

    return register


class Fix(Frozen):
    __slots__ = ("description", "edits", "note", "safety")

    def __init__(self, safety: str, description: str, note: str, edits: tuple[Edit, ...]):
        self.safety = safety  # "safe" | "unsafe"
        self.description = description  # what the patch does
        self.note = note  # the behaviour change a reviewer must accept, one line
        self.edits = edits


class Finding(Record):
    __slots__ = (
        "accessory",
        "column",
        "destination",
        "end_column",
        "end_line",
        "file",
        "fix",
        "line",
        "message",
        "path",
        "role",
        "rule",
        "severity",
        "source_line",
        "suppressed",
    )

    def __init__(self, rule: Rule, severity: str, message: str, file: str, line: int, column: int, end_line: int,
                 end_column: int, path: Path, role: str | None = None, accessory: str | None = None,
                 destination: str | None = None, fix: Fix | None = None, suppressed: str | None = None,
                 source_line: str = ""):
        self.rule = rule
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line  # 1-based
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.path = path
        self.role = role
        self.accessory = accessory
        self.destination = destination
        self.fix = fix
        self.suppressed = suppressed  # the reason, when a suppression or exclusion covers it
        self.source_line = source_line

    @property
    def sort_key(self):
        return (self.file, self.line, self.column, self.rule.id, self.message)

    def to_json(self) -> dict:
        return {
            "rule": self.rule.id,
            "slug": self.rule.slug,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "path": slash(self.path),
            "role": self.role,
            "accessory": self.accessory,
            "destination": self.destination,
            "fix": None if self.fix is None else {
                "safety": self.fix.safety,
                "description": self.fix.description,
                "note": self.fix.note,
                "edits": [edit.describe() for edit in self.fix.edits],
            },
            "references": [url for _, url in self.rule.references],
            "suppressed": self.suppressed,
        }


class Context:
    """What a rule sees: the merged view, the project around it, the policy; and `report` to speak."""

    def __init__(self, view: View, project=None, policy=None):
        self.view = view
        self.project = project
        self.policy = policy
        self.findings: list[Finding] = []
        self.rule: Rule | None = None
        self.cache: dict = {}  # shared work between rules of one run (e.g. the schema errors)
        self.suppressions: list = []  # inline suppressions, known once every other rule has run
        self.rules: list[Rule] = []  # the rules this run uses (after select/ignore)

    def file_document(self, relative: str) -> Document | None:
        """A project file that is not a deploy file (.kamal/secrets, Dockerfile, ...) as a Document, so findings
        can point at its lines with `report_span(..., line=, column=)`; None when it does not exist."""
        key = ("file", relative)
        if key not in self.cache:
            import os

            from ..kamal.project import display_path
            from ..source.text import SourceText

            text = self.project.read(relative) if self.project is not None else None
            shown = display_path(os.path.join(self.project.root, relative)) if text is not None else relative
            text = None if text is None else text.removeprefix("\ufeff").replace("\r\n", "\n")
            self.cache[key] = None if text is None else Document(SourceText(path=shown, text=text))
        return self.cache[key]

    def setting(self, name: str):
        """This rule's policy setting, or its default."""
        if self.policy is not None:
            value = self.policy.setting(self.rule.id, name)
            if value is not None:
                return value
        return self.rule.settings.get(name)

    def report(self, path: Path, message: str, *, fix: Fix | None = None, severity: str | None = None,
               container: Container | None = None, at: str = "key") -> Finding:
        """Report a finding at `path` of the merged view.

        `at="key"` points at the key that holds the value, `at="value"` at the value itself. When nothing is at
        `path`, the closest ancestor that exists is pointed at instead.
        """
        origin, found = self.view.nearest(path)
        loc = origin.loc
        node = loc.key if (at == "key" or found != path) and loc.key is not None else loc.value
        return self.report_span(origin.doc, node.start, node.end, message, path=path, fix=fix, severity=severity,
                                container=container)

    def report_span(self, doc: Document, start: int, end: int, message: str, *, path: Path = (),
                    fix: Fix | None = None, severity: str | None = None, container: Container | None = None,
                    line: int | None = None, column: int | None = None) -> Finding:
        """Report a finding at character offsets of one file (or at a 1-based line and column, when given)."""
        source = doc.source
        if line is not None:
            line, column, end_line, end_column = line - 1, (column or 1) - 1, line - 1, (column or 1)
        else:
            line, column = source.position(start)
            end_line, end_column = source.position(max(end, start))
            if end_line > line and end_column == 0:  # a block ends at the start of the next line: stop before it
                end_line -= 1
                end_column = len(source.line_text(end_line))
        role, accessory = _owner(self.view, path, container)
        finding = Finding(
            rule=self.rule, severity=severity or self.rule.severity, message=message, file=source.path,
            line=line + 1, column=column + 1, end_line=end_line + 1, end_column=end_column + 1, path=path,
            role=role, accessory=accessory, destination=self.view.destination, fix=fix,
            source_line=source.line_text(line),
        )
        self.findings.append(finding)
        return finding


def _owner(view: View, path: Path, container: Container | None) -> tuple[str | None, str | None]:
    if container is not None:
        if container.kind == "role":
            return container.name, None
        if container.kind == "accessory":
            return None, container.name
        return None, None
    if len(path) >= 1 and path[0] == "servers":
        if isinstance(view.get(("servers",)), list):
            return "web", None
        return (str(path[1]) if len(path) >= 2 else None), None
    if len(path) >= 2 and path[0] == "accessories":
        return None, str(path[1])
    return None, None


def option_edits(container: Container, key: str, value=None, items: tuple | None = None) -> tuple[Edit, ...]:
    """The edits that set `options.<key>: value` (or add `items` to the list `options.<key>`) on a container.

    A role written as a plain host list (`servers: [ip]`, `web: [ip]`) cannot hold options, so it first becomes
    a role map with `hosts:`.
    """
    edits: list[Edit] = []
    if (container.kind == "role" and not isinstance(container.config, dict)) or container.implicit:
        edits.append(HostListToRoleMap(container.path))
    if items is not None:
        edits.append(AddItems((*container.options_path, key), tuple(items)))
    else:
        edits.append(SetKey(container.options_path, key, value))
    return tuple(edits)
