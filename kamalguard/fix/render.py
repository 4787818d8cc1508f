"""Python values as YAML text in the file's own style: its indent step and whether its lists are flush.

The style is read from the file's node positions, so new lines look like the lines around them.
"""

from __future__ import annotations

import json
from collections import Counter

from ..record import Frozen
from ..source.document import Document
from ..source.nodes import Mapping, Sequence
from ..source.scalars import resolve_plain

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


class Style(Frozen):
    __slots__ = ("indent", "sequence_offset")

    def __init__(self, indent: int = 2, sequence_offset: int = 2):
        self.indent = indent  # a nested mapping's keys sit this far right of its parent key
        self.sequence_offset = sequence_offset  # a list's dashes sit this far right of its key (0: flush lists)


def detect_style(doc: Document) -> Style:
    """The most common mapping indent and list offset among the file's block collections."""
    indents: Counter = Counter()
    offsets: Counter = Counter()
    column = doc.source.position

    def walk(node, depth: int) -> None:
        if depth > 50:
            return
        if isinstance(node, Mapping) and not node.flow:
            for key, value in node.entries:
                if isinstance(value, Mapping) and not value.flow and value.entries:
                    indents[column(value.entries[0][0].start)[1] - column(key.start)[1]] += 1
                elif isinstance(value, Sequence) and not value.flow and value.items:
                    offsets[column(value.start)[1] - column(key.start)[1]] += 1
                walk(value, depth + 1)
        elif isinstance(node, Sequence) and not node.flow:
            for item in node.items:
                walk(item, depth + 1)

    if doc.root is not None:
        walk(doc.root, 0)
    indent = next((n for n, _ in indents.most_common() if n > 0), 2)
    offset = next((n for n, _ in offsets.most_common() if n >= 0), indent)
    return Style(indent, offset)


def plain_safe(text: str, flow: bool = False) -> bool:
    """Can `text` be written unquoted and still read back, by Psych, as this very string?"""
    if not text or text != text.strip() or text[0] in _INDICATORS or "\n" in text or "\t" in text:
        return False
    if ":" in text or " #" in text:  # `a:b` is valid plain, but readers (and base 60 numbers) trip on it
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    return resolve_plain(text) == text and type(resolve_plain(text)) is str


def scalar(value, flow: bool = False) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return text if plain_safe(text, flow) else json.dumps(text, ensure_ascii=False)


def flow(value) -> str:
    """A value on one line: `[a, b]`, `{k: v}` or a scalar."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k, True)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, True)


def entry(key, value, column: int, style: Style) -> list[str]:
    """`key: value` as block lines starting at `column` (no line breaks)."""
    pad = " " * column
    if isinstance(value, dict) and value:
        lines = [f"{pad}{scalar(key)}:"]
        for child_key, child in value.items():
            lines += entry(child_key, child, column + style.indent, style)
        return lines
    if isinstance(value, (list, tuple)) and value:
        return [f"{pad}{scalar(key)}:", *items(value, column + style.sequence_offset, style)]
    return [f"{pad}{scalar(key)}: {flow(value)}"]


def items(values, column: int, style: Style) -> list[str]:
    """List items as `- value` lines with the dash at `column`."""
    lines = []
    for value in values:
        if isinstance(value, dict) and value:
            first, *rest = list(value.items())
            head = entry(first[0], first[1], column + 2, style)
            lines.append(" " * column + "- " + head[0].lstrip())
            lines += head[1:]
            for key, child in rest:
                lines += entry(key, child, column + 2, style)
        else:
            lines.append(" " * column + "- " + flow(value))
    return lines
