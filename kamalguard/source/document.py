"""A parsed deploy file: its text, its ERB mask, its node tree, and the Ruby-shaped data Kamal would see.

`Document.data` is what Psych would return (merge keys applied in order, duplicate keys: last one wins), as
plain Python data. `Document.locations` maps every path in that data to the nodes that wrote it, so any
finding about a path can name a line and column.
"""

from __future__ import annotations

import datetime as _dt

from ..record import Frozen, Record
from .erb import Masked, mask
from .nodes import MAX_DEPTH, MAX_NODES, Alias, Mapping, Node, Scalar, Sequence, YamlSyntaxError, compose, is_merge_key
from .scalars import ErbValue
from .text import DecodeError, SourceText

Path = tuple  # of str keys and int indexes


class Loc(Frozen):
    """Where the value at a path was written: its key node (None for list items and the root) and value node.

    `via` is "alias" when the path is reached through `*alias`, "merge" when through a `<<` merge key: editing
    such a node edits every place that shares it.
    """

    __slots__ = ("key", "value", "via")

    def __init__(self, key: Node | None, value: Node, via: str | None = None):
        self.key = key
        self.value = value
        self.via = via


class Duplicate(Frozen):
    __slots__ = ("again", "first", "key", "path")

    def __init__(self, path: Path, key: str, first: Node, again: Node):
        self.path = path  # the mapping's path
        self.key = key
        self.first = first
        self.again = again


class Problem(Record):
    """Why the file could not be loaded at all (a KG001 finding), and where."""

    __slots__ = ("column", "erb", "index", "line", "message")

    def __init__(self, message: str, index: int = 0, line: int | None = None, column: int | None = None,
                 erb: bool = False):
        self.message = message
        self.index = index
        self.line = line  # 1-based, when known without an index
        self.column = column
        self.erb = erb  # the failure comes from YAML that ERB would write


class Document(Record):
    __slots__ = ("data", "duplicates", "locations", "masked", "more_documents", "problem", "root", "source")

    def __init__(self, source: SourceText, masked: Masked | None = None, root: Node | None = None,
                 more_documents: bool = False, problem: Problem | None = None, data: object = None,
                 locations: dict[Path, Loc] | None = None, duplicates: list[Duplicate] | None = None):
        self.source = source
        self.masked = masked
        self.root = root
        self.more_documents = more_documents
        self.problem = problem
        self.data = data
        self.locations: dict[Path, Loc] = {} if locations is None else locations
        self.duplicates: list[Duplicate] = [] if duplicates is None else duplicates

    @property
    def path(self) -> str:
        return self.source.path

    def is_erb(self, path: Path) -> bool:
        """Is the value at `path` (partly) written by ERB? Then its type is unknown until deploy time."""
        loc = self.locations.get(path)
        return loc is not None and isinstance(loc.value, Scalar) and loc.value.erb


def ruby_key(value) -> str:
    """A mapping key as the string Kamal compares and prints (Ruby's to_s)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return str(value)


class _TooBig(Exception):
    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index  # where it shows: the alias, or the collection that grew too big or too deep


def _expanded_size(root: Node) -> int:
    """How many nodes the data would have with every alias expanded, counted without expanding anything (each
    node is measured once); raises on a cycle, past MAX_NODES, or nested deeper than MAX_DEPTH.

    An anchor always comes before its aliases, so the walk meets it first and the recursion only goes as deep
    as the text nests (at most MAX_DEPTH); how deep an alias nests the data is its target's height."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, height) with aliases expanded
    active: set[int] = set()
    aliased = False

    def measure(written: Node) -> tuple[int, int]:
        nonlocal aliased
        node = written
        if isinstance(node, Alias):
            node, aliased = node.target, True
        known = measured.get(id(node))
        if known is not None:
            return known
        if isinstance(node, Scalar):
            return 1, 0
        if id(node) in active:
            raise _TooBig("an alias refers to a node that contains it (a recursive alias), which Kamal cannot "
                          "load: point the alias at a node outside its own value", written.start)
        active.add(id(node))
        children = (n for pair in node.entries for n in pair) if isinstance(node, Mapping) else node.items
        total, height = 1, 0
        for child in children:
            nodes, below = measure(child)
            total, height = total + nodes, max(height, below)
        height += 1
        active.discard(id(node))
        if height > MAX_DEPTH:
            raise _TooBig(f"aliases nest the data deeper than {MAX_DEPTH} levels, far deeper than any Kamal config: "
                          f"write the values out", written.start)
        if total > MAX_NODES:
            if aliased:
                raise _TooBig(f"aliases expand the document to more than {MAX_NODES:,} values (an alias bomb); "
                              f"a deploy file has a few hundred: write the values out instead", written.start)
            raise _TooBig(f"the document holds more than {MAX_NODES:,} values; a deploy file has a few hundred, "
                          f"so this is not one", written.start)
        measured[id(node)] = total, height
        return total, height

    return measure(root)[0]


class _Builder:
    """Node tree to Ruby-shaped data, recording where each path was written."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.masked = doc.masked
        self.locations = doc.locations
        self.control_tags = [t for t in doc.masked.tags if t.whole_line and not t.output] if doc.masked else []

    def value(self, node: Node, path: Path, via: str | None):
        if isinstance(node, Alias):
            node, via = node.target, via or "alias"
        if isinstance(node, Scalar):
            if self.masked.tags and self.masked.overlaps(node.start, node.end):
                node.erb = True
                return ErbValue(self.doc.source.text[node.start : node.end])
            return node.value
        if isinstance(node, Sequence):
            result = []
            for index, item in enumerate(node.items):
                item_path = (*path, index)
                self.locations[item_path] = Loc(None, item, via or _via(item))
                result.append(self.value(item, item_path, via))
            return result
        return self.mapping(node, path, via)

    def mapping(self, node: Mapping, path: Path, via: str | None) -> dict:
        result: dict = {}
        own: dict[str, Node] = {}
        for key_node, value_node in node.entries:
            if isinstance(key_node, Scalar):
                if key_node.text == "<<" and is_merge_key(key_node):
                    self.merge(result, key_node, value_node, path, via)
                    continue
                key = key_node.value
            else:
                key = self.value(key_node, path, via)
            if not isinstance(key, str):  # most keys are strings already
                key = ruby_key(key)
            if key in own and not self._alternatives(own[key], key_node):
                self.doc.duplicates.append(Duplicate(path, key, own[key], key_node))
            own[key] = key_node
            child_path = (*path, key)
            self.locations[child_path] = Loc(key_node, value_node, via or _via(value_node))
            result[key] = self.value(value_node, child_path, via)
        return result

    def merge(self, result: dict, key_node: Node, value_node: Node, path: Path, via: str | None) -> None:
        """`<<: *base` or `<<: [*a, *b]`, the way Psych does it: in order, earlier sources winning in a list.
        Anything but mappings there makes `<<` an ordinary key, as in Psych."""
        target = value_node.target if isinstance(value_node, Alias) else value_node
        sources = list(reversed(target.items)) if isinstance(target, Sequence) else [target]
        for source in sources:
            source = source.target if isinstance(source, Alias) else source
            if not isinstance(source, Mapping):
                self.locations[(*path, "<<")] = Loc(key_node, value_node, via or _via(value_node))
                result["<<"] = self.value(value_node, (*path, "<<"), via)
                return
        for source in sources:
            merged = self.value(source, path, "merge")
            result.update(merged)

    def _alternatives(self, first: Node, again: Node) -> bool:
        """Two definitions with an ERB control tag between them are if/else branches, not a duplicate."""
        return any(first.start < tag.start < again.start for tag in self.control_tags)


def _via(node: Node) -> str | None:
    return "alias" if isinstance(node, Alias) else None


def load(source: SourceText) -> Document:
    """Parse a SourceText into a Document; never raises for bad content, which becomes `Document.problem`."""
    doc = Document(source)
    doc.masked = masked = mask(source.text)
    if masked.unclosed_at is not None:
        doc.problem = Problem("an ERB tag `<%` is never closed with `%>`", masked.unclosed_at)
        return doc
    try:
        doc.root, doc.more_documents, aliased = compose(masked.text)
    except YamlSyntaxError as exc:
        tag = masked.structural_tag()
        if tag is not None:
            doc.problem = Problem(
                "this line's YAML is written by ERB (`<%= ... %>` on a line of its own), so the file's structure "
                "only exists after the ERB runs; kamalguard never runs ERB and cannot check it",
                tag.start,
                erb=True,
            )
        else:
            doc.problem = Problem(exc.message, exc.index)
        return doc
    if doc.root is None:
        doc.problem = Problem("the file has no settings (it is empty or only comments); Kamal cannot load it")
        return doc
    try:
        if aliased:  # without aliases, compose() has bounded size and depth already
            _expanded_size(doc.root)
    except _TooBig as exc:
        doc.problem = Problem(str(exc), exc.index)
        return doc
    doc.locations[()] = Loc(None, doc.root)
    doc.data = _Builder(doc).value(doc.root, (), None)
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else "a single value"
        doc.problem = Problem(f"the top level is {kind}; a deploy file is a mapping of settings "
                              f"(service:, image:, servers:, ...)", doc.root.start)
    return doc


def load_text(text: str, path: str = "config/deploy.yml") -> Document:
    """Parse text that is not on disk (stdin, tests)."""
    from .text import decode

    try:
        source = decode(text.encode("utf-8") if isinstance(text, str) else text, path)
    except DecodeError as exc:
        return undecodable(path, exc)
    return load(source)


def undecodable(path: str, exc: DecodeError) -> Document:
    doc = Document(SourceText(path=path, text=""))
    doc.problem = Problem(str(exc), line=exc.line, column=exc.column)
    return doc
