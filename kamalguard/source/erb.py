"""Mask ERB tags so the YAML around them can be parsed, without ever evaluating them.

Kamal runs ERB over the whole file before YAML sees it, and that ERB can run shell commands, so kamalguard
never does. Instead each tag is replaced by text of exactly the same length:

- a tag that fills its own line(s), like `<% if x %>` or a multi-line `<% ... %>`, becomes a YAML comment
  (the first non-blank character of each of its lines turns into `#`);
- any other tag becomes a placeholder scalar `ERB___` (continuation lines of a multi-line tag become blank).

Because lengths are kept, every position in the masked text is also a position in the original text: the
original is never rewritten, only read through the mask.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# `<%%` is ERB's escape for a literal `<%`, not a tag.
_TAG = re.compile(r"<%(?!%).*?%>", re.S)
_OPEN = re.compile(r"<%(?!%)")


@dataclass(frozen=True)
class ErbTag:
    start: int
    end: int
    output: bool  # `<%= %>`: it writes text into the YAML
    whole_line: bool  # nothing but blanks around it on its lines


@dataclass
class Masked:
    text: str
    tags: list[ErbTag]
    unclosed_at: int | None = None  # index of a `<%` that never closes

    def __post_init__(self) -> None:
        self._inline = [t for t in self.tags if not t.whole_line]
        self._starts = [t.start for t in self._inline]

    def overlaps(self, start: int, end: int) -> bool:
        """Does the text span [start, end) contain (part of) an inline ERB tag? Then its value is unknown."""
        i = bisect.bisect_right(self._starts, end) - 1
        while i >= 0:
            tag = self._inline[i]
            if tag.end <= start:
                return False
            if tag.start < end:
                return True
            i -= 1
        return False

    def structural_tag(self) -> ErbTag | None:
        """The first output tag that stands alone on its line: ERB that writes whole lines of YAML."""
        return next((t for t in self.tags if t.output and t.whole_line), None)


def _alone(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    return not text[line_start:start].strip() and not text[end:line_end].strip()


def _comment_out(chunk: str) -> str:
    """Turn each line of a whole-line tag into a comment of the same length."""
    lines = chunk.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped:
            pad = len(line) - len(stripped)
            line = line[:pad] + "#" + stripped[1:]
        out.append(line)
    return "\n".join(out)


def _placeholder(chunk: str) -> str:
    """A plain scalar of the same length on the tag's first line; later lines of the tag become blanks."""
    first, *rest = chunk.split("\n")
    word = ("ERB" + "_" * len(first))[: len(first)]
    return "\n".join([word, *(" " * len(line) for line in rest)])


def mask(text: str) -> Masked:
    if "<%" not in text:
        return Masked(text, [])
    tags: list[ErbTag] = []
    pieces: list[str] = []
    pos = 0
    for match in _TAG.finditer(text):
        start, end = match.span()
        output = text.startswith("<%=", start)
        whole = _alone(text, start, end)
        pieces.append(text[pos:start])
        chunk = text[start:end]
        if whole and not output:
            # line-start of the tag is blank, so commenting the first visible char keeps the tag's lines valid
            line_start = text.rfind("\n", 0, start) + 1
            pieces[-1] = pieces[-1][: len(pieces[-1]) - (start - line_start)]
            pieces.append(_comment_out(text[line_start:end]))
        else:
            pieces.append(_placeholder(chunk))
        tags.append(ErbTag(start, end, output, whole))
        pos = end
    pieces.append(text[pos:])
    masked = "".join(pieces)
    unclosed = _OPEN.search(masked)
    return Masked(masked, tags, unclosed.start() if unclosed else None)
