"""Inline suppressions: `# kamalguard: ignore[KG101] reason` and `# kamalguard: ignore-file[KG106] reason`.

`ignore[...]` covers findings on its own line; written on the line of a role's or accessory's key it covers
that whole block. `ignore-file[...]` covers the whole file. A suppressed finding is kept, marked with its
reason, and does not count for the exit code. A suppression that covers nothing is reported (KG090).
"""

from __future__ import annotations

import re

from .policy import matches
from .record import Record
from .source.document import Document
from .source.nodes import Mapping, Scalar

# compiled on first use (by the re module's cache): only a file with `kamalguard:` in it is scanned
_COMMENT = r"(?:^|\s)#\s*kamalguard:\s*(ignore|ignore-file)\[([^\]]*)\]\s*(.*)$"


class Suppression(Record):
    __slots__ = ("doc", "file_wide", "first_line", "last_line", "reason", "rules", "scope", "start", "used")

    def __init__(self, doc: Document, file_wide: bool, rules: tuple[str, ...], reason: str, start: int,
                 first_line: int, last_line: int, used: bool = False, scope: tuple | None = None):
        self.doc = doc
        self.file_wide = file_wide
        self.rules = rules
        self.reason = reason
        self.start = start  # character offset of the comment
        self.first_line = first_line  # 1-based lines covered
        self.last_line = last_line
        self.used = used
        self.scope = scope  # ("role", name) / ("accessory", name) when written on such a key

    def covers(self, finding) -> bool:
        if not any(matches(finding.rule, r) for r in self.rules):
            return False
        if self.file_wide:
            return finding.file == self.doc.path
        if finding.file == self.doc.path and self.first_line <= finding.line <= self.last_line:
            return True
        if self.scope is None:
            return False
        kind, name = self.scope
        return (finding.role if kind == "role" else finding.accessory) == name


def scan(doc: Document) -> list[Suppression]:
    text = doc.source.text
    if "kamalguard:" not in text:
        return []
    blocks = _container_blocks(doc)
    found = []
    for number, line in enumerate(text.split("\n")):
        match = re.search(_COMMENT, line)
        if not match:
            continue
        kind, names, reason = match.groups()
        rules = tuple(n.strip() for n in names.split(",") if n.strip())
        start = doc.source.index(number, match.start())
        scope, last = None, number + 1
        if number in blocks:
            scope, last = blocks[number]
        found.append(Suppression(doc, kind == "ignore-file", rules, reason.strip() or "no reason given", start,
                                 number + 1, last, scope=scope))
    return found


def _container_blocks(doc: Document) -> dict[int, tuple[tuple, int]]:
    """0-based line of each role/accessory key → (its scope, the 1-based last line of its block)."""
    blocks = {}
    root = doc.root
    if not isinstance(root, Mapping):
        return blocks
    for key, value in root.entries:
        if not isinstance(key, Scalar) or key.value not in ("servers", "accessories") or not isinstance(value, Mapping):
            continue
        kind = "role" if key.value == "servers" else "accessory"
        for name, block in value.entries:
            if isinstance(name, Scalar):
                line = doc.source.position(name.start)[0]
                blocks[line] = ((kind, str(name.value)), doc.source.position(max(block.end - 1, block.start))[0] + 1)
    return blocks


def apply(findings, suppressions: list[Suppression], policy) -> None:
    """Mark each finding covered by an inline suppression or a policy exclusion with the reason."""
    for finding in findings:
        for suppression in suppressions:
            if suppression.covers(finding):
                suppression.used = True
                finding.suppressed = suppression.reason
                break
        else:
            exclusion = policy.exclusion_for(finding) if policy is not None else None
            if exclusion is not None:
                finding.suppressed = exclusion.reason
