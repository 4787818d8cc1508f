"""YAML nodes with positions, composed from libyaml's events (the parser Kamal's Psych uses).

Composition is iterative: nesting depth is bounded here, not by Python's or C's stack, and aliases stay
references to their anchor's node (`Alias.target`), never copies, so an alias bomb costs nothing to compose.
Positions are character indexes into the masked text (see erb.py), which are also indexes into the source.
"""

from __future__ import annotations

from .scalars import resolve

# Kamal configs nest a dozen levels at most. The bound keeps every recursive reader of the data (rules, the
# fix verifier) far from Python's recursion limit; aliases count towards it too (document.py).
MAX_DEPTH = 200
# Values in a document, aliases expanded (document.py) or not (here, so a huge file stops early): no real deploy
# file comes near it; an alias bomb does at once.
MAX_NODES = 100_000


class YamlSyntaxError(Exception):
    """The text is not YAML Kamal could load; `index` is where the parser gave up."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.message = message
        self.index = index


class Node:
    __slots__ = ("anchor", "end", "start", "tag")

    def __init__(self, start: int, end: int, anchor: str | None, tag: str | None):
        self.start = start
        self.end = end
        self.anchor = anchor
        self.tag = tag


class Scalar(Node):
    __slots__ = ("erb", "style", "text", "value")

    def __init__(self, start, end, anchor, tag, text: str, style: str):
        # Node's fields are set here, not through super().__init__: one call less for each of a file's scalars
        self.start = start
        self.end = end
        self.anchor = anchor
        self.tag = tag
        self.text = text
        self.style = style  # "" plain, "'", '"', "|", ">"
        self.value = resolve(text, not style, tag)
        self.erb = False  # set by the document: the value is (partly) written by ERB

    @property
    def plain(self) -> bool:
        return not self.style


class Mapping(Node):
    __slots__ = ("entries", "flow")

    def __init__(self, start, end, anchor, tag, flow: bool):
        super().__init__(start, end, anchor, tag)
        self.flow = flow
        self.entries: list[tuple[Node, Node]] = []


class Sequence(Node):
    __slots__ = ("flow", "items")

    def __init__(self, start, end, anchor, tag, flow: bool):
        super().__init__(start, end, anchor, tag)
        self.flow = flow
        self.items: list[Node] = []


class Alias(Node):
    __slots__ = ("target",)

    def __init__(self, start, end, name: str, target: Node):
        super().__init__(start, end, name, None)
        self.target = target


def is_merge_key(node: Node) -> bool:
    return isinstance(node, Scalar) and node.plain and node.text == "<<" and not node.tag


def _error(exc) -> YamlSyntaxError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        message = f"{problem} ({context})" if context else problem
    else:
        message = str(exc).splitlines()[0]
    return YamlSyntaxError(message, mark.index if mark is not None else getattr(exc, "position", 0) or 0)


def compose(text: str) -> tuple[Node | None, bool, bool]:
    """The first document's root node (None when empty), whether more documents follow it, and whether it holds
    aliases (without them, its size and depth are bounded here already).

    Psych returns the first document only, so Kamal ignores the rest; so do we, after noting them.
    """
    from _ruamel_yaml import CParser
    from ruamel.yaml import events
    from ruamel.yaml.error import YAMLError

    scalar_event, alias_event = events.ScalarEvent, events.AliasEvent
    mapping_start, sequence_start = events.MappingStartEvent, events.SequenceStartEvent
    collection_end = (events.MappingEndEvent, events.SequenceEndEvent)
    document_end, stream_end = events.DocumentEndEvent, events.StreamEndEvent

    parser = CParser(text)
    anchors: dict[str, Node] = {}
    stack: list[Node] = []
    pending_key: list[Node | None] = []
    root: Node | None = None
    count = 0
    aliased = False
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is scalar_event:
                anchor = event.anchor
                node = Scalar(event.start_mark.index, event.end_mark.index, anchor, event.tag, event.value,
                              event.style or "")
                if anchor:
                    anchors[anchor] = node
                count += 1
            elif kind is alias_event:
                target = anchors.get(event.anchor)
                if target is None:
                    raise YamlSyntaxError(f"found undefined alias *{event.anchor}", event.start_mark.index)
                node = Alias(event.start_mark.index, event.end_mark.index, event.anchor, target)
                aliased = True
                count += 1
            elif kind is mapping_start or kind is sequence_start:
                cls = Mapping if kind is mapping_start else Sequence
                node = cls(event.start_mark.index, event.end_mark.index, event.anchor, event.tag,
                           bool(event.flow_style))
                if event.anchor:
                    anchors[event.anchor] = node
                count += 1
                if count > MAX_NODES:
                    raise _too_many(event)
                if len(stack) >= MAX_DEPTH:
                    raise YamlSyntaxError(f"the YAML nests deeper than {MAX_DEPTH} levels, far deeper than any Kamal "
                                          f"config; kamalguard stops reading here: flatten the structure",
                                          event.start_mark.index)
                stack.append(node)
                pending_key.append(None)
                continue
            elif kind in collection_end:
                node = stack.pop()
                pending_key.pop()
                node.end = event.end_mark.index if node.flow else _content_end(node)
            elif kind is document_end:
                break
            elif kind is stream_end:
                return root, False, aliased
            else:
                continue
            if count > MAX_NODES:
                raise _too_many(event)
            if not stack:
                root = node
                continue
            parent = stack[-1]
            if isinstance(parent, Mapping):
                key = pending_key[-1]
                if key is None:
                    pending_key[-1] = node
                else:
                    parent.entries.append((key, node))
                    pending_key[-1] = None
            else:
                parent.items.append(node)
        try:
            more = not isinstance(parser.get_event(), stream_end)
        except YAMLError:
            more = True
        return root, more, aliased
    except YAMLError as exc:
        raise _error(exc) from None


def _too_many(event) -> YamlSyntaxError:
    return YamlSyntaxError(f"the document holds more than {MAX_NODES:,} values; a deploy file has a few hundred, so "
                           f"this is not one", event.start_mark.index)


def _content_end(node: Node) -> int:
    """A block collection ends where its last child ends (libyaml's mark is at the next token instead)."""
    if isinstance(node, Mapping) and node.entries:
        return node.entries[-1][1].end
    if isinstance(node, Sequence) and node.items:
        return node.items[-1].end
    return node.start
