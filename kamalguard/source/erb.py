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

from ..record import Frozen, Record

# Blanks up to the end of the line (or of the text): what may follow a tag that stands alone on its line.
# (compiled on first use, by the re module's cache: most deploy files have no ERB)
_BLANK_TO_EOL = r"[^\S\n]*(?:\n|\Z)"


class ErbTag(Frozen):
    __slots__ = ("end", "output", "start", "whole_line")

    def __init__(self, start: int, end: int, output: bool, whole_line: bool):
        self.start = start
        self.end = end
        self.output = output  # `<%= %>`: it writes text into the YAML
        self.whole_line = whole_line  # nothing but blanks around it on its lines


class Masked(Record):
    __slots__ = ("_inline", "_starts", "tags", "text", "unclosed_at")

    def __init__(self, text: str, tags: list[ErbTag], unclosed_at: int | None = None):
        self.text = text
        self.tags = tags
        self.unclosed_at = unclosed_at  # index of a `<%` that never closes
        self._inline = [t for t in tags if not t.whole_line]
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


def _tags(text: str):
    """(start, end) of each tag, then (start, None) for a `<%` that is never closed. `<%%` is ERB's escape for a
    literal `<%`, not a tag. Linear in the text's length, whatever it holds: one scan, no backtracking."""
    pos = 0
    while True:
        start = text.find("<%", pos)
        if start == -1:
            return
        if text.startswith("<%%", start):
            pos = start + 3
            continue
        end = text.find("%>", start + 2)
        if end == -1:
            yield start, None
            return
        yield start, end + 2
        pos = end + 2


def _line_start_if_blank_before(text: str, start: int) -> int | None:
    """Where the line holding `start` begins, when only blanks come before `start` on it; else None. Walks back
    over blanks only, so a long line full of tags costs no more than its length."""
    i = start - 1
    while i >= 0 and text[i] != "\n" and text[i].isspace():
        i -= 1
    return i + 1 if i < 0 or text[i] == "\n" else None


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
    unclosed = None
    for start, end in _tags(text):
        if end is None:
            unclosed = start
            break
        output = text.startswith("<%=", start)
        line_start = _line_start_if_blank_before(text, start)
        whole = line_start is not None and re.compile(_BLANK_TO_EOL).match(text, end) is not None
        pieces.append(text[pos:start])
        if whole and not output:
            # line-start of the tag is blank, so commenting the first visible char keeps the tag's lines valid
            pieces[-1] = pieces[-1][: len(pieces[-1]) - (start - line_start)]
            pieces.append(_comment_out(text[line_start:end]))
        else:
            pieces.append(_placeholder(text[start:end]))
        tags.append(ErbTag(start, end, output, whole))
        pos = end
    pieces.append(text[pos:])
    return Masked("".join(pieces), tags, unclosed)
