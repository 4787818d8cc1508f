"""The one patcher: applies edits on paths of the merged config to the source text of the right file.

It never reformats: each edit rewrites only the lines it must, found from node positions, and every other
byte (comments, blank lines, quoting, flow style, ERB, anchors) stays as it was. After each edit the file is
parsed again, so the next edit sees fresh positions. It knows nothing about rules.

Where an edit lands:
- a value that exists is changed in the file that wrote the effective value (an overlay, when it set it);
- a new key goes into the base file, unless the mapping it belongs to exists only in the overlay;
- a node shared through an anchor is edited only when every user of the anchor gets the same edit; an
  alias user that alone needs it gets its own override (`<<: *anchor` plus the key); anything else is
  refused rather than changing a config that did not ask for it.
"""

from __future__ import annotations

import os
import re

from ..kamal.view import MISSING, View, lookup, slash
from ..record import Record
from ..source.document import Document, load
from ..source.nodes import Alias, Mapping, Node, Scalar, Sequence, is_merge_key
from ..source.text import SourceText
from . import render
from .edits import (
    KEEP,
    AddItems,
    AppendLines,
    Edit,
    HostListToRoleMap,
    NestKeys,
    RemoveBOM,
    RemoveKey,
    RenameKey,
    SetKey,
)


class Refused(Exception):
    """An edit that cannot be made without changing more than it should; the whole fix is skipped."""


class _Retry(Exception):
    """The file was restructured (a shared node got a per-user override); apply the edit again."""


class PatchBug(Exception):
    """An edit produced text that no longer parses: a bug in the patcher, never written."""


class FileState(Record):
    __slots__ = ("doc",)

    def __init__(self, doc: Document):
        self.doc = doc


class TextFile(Record):
    """A project file that is not YAML (`.dockerignore`), edited line by line."""

    __slots__ = ("path", "source", "text")

    def __init__(self, path: str, source: SourceText | None, text: str):
        self.path = path  # as findings show it
        self.source = source  # None: the file does not exist yet and a fix creates it
        self.text = text

    def copy(self) -> TextFile:
        return TextFile(self.path, self.source, self.text)


def _resolve(node: Node) -> Node:
    return node.target if isinstance(node, Alias) else node


def same_value(current, wanted) -> bool:
    """Equal as Kamal sees it: `true` is not 1, and a list equals a tuple with the same items."""
    if isinstance(wanted, (list, tuple)):
        return isinstance(current, list) and len(current) == len(wanted) and all(
            same_value(c, w) for c, w in zip(current, wanted, strict=True))
    if isinstance(wanted, bool) or isinstance(current, bool):
        return current is wanted
    if isinstance(wanted, str) and isinstance(current, str):
        return str(current) == str(wanted)
    return type(current) is type(wanted) and current == wanted


class Patcher:
    def __init__(self, layers: list[Document], destination: str | None, wanted: list[Edit] = ()):
        self.files = [FileState(doc) for doc in layers]
        self.texts: dict[str, TextFile] = {}
        self.destination = destination
        self.wanted = list(wanted)  # every edit of this run: who else wants an edit to a shared node
        self._view: View | None = None
        self._edit: Edit | None = None  # the edit being applied

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def view(self) -> View:
        if self._view is None:
            self._view = View([f.doc for f in self.files], self.destination)
        return self._view

    @property
    def base(self) -> Document:
        return self.files[0].doc

    def text(self, index: int) -> str:
        return self.files[index].doc.source.text

    def snapshot(self):
        return [f.doc for f in self.files], {path: file.text for path, file in self.texts.items()}

    def restore(self, snapshot) -> None:
        docs, texts = snapshot
        for state, doc in zip(self.files, docs, strict=True):
            state.doc = doc
        for path in list(self.texts):
            if path in texts:
                self.texts[path].text = texts[path]
            else:
                del self.texts[path]
        self._view = None

    def _index(self, doc: Document) -> int:
        return next(i for i, f in enumerate(self.files) if f.doc is doc)

    def _write(self, doc: Document, text: str, bom: bool | None = None) -> Document:
        """Replace a file's text (and BOM) and parse it again; text that does not parse is a patcher bug."""
        old = doc.source
        source = SourceText(path=old.path, text=text, raw=old.raw, bom=old.bom if bom is None else bom,
                            crlf=old.crlf, mtime_ns=old.mtime_ns, real_path=old.real_path)
        new = load(source)
        if new.problem is not None:
            raise PatchBug(f"{old.path}: an edit produced YAML that does not parse ({new.problem.message})")
        self.files[self._index(doc)].doc = new
        self._view = None
        return new

    # -- public ----------------------------------------------------------------------------------------------

    def apply(self, edit: Edit) -> bool:
        """Apply one edit; True when the text changed, False when it was already done. Raises Refused."""
        self._edit = edit
        for _ in range(3):
            try:
                return self._apply(edit)
            except _Retry:
                continue
        raise Refused("the shared settings could not be separated")

    def _apply(self, edit: Edit) -> bool:
        if isinstance(edit, SetKey):
            return self._set_key(edit.path, edit.key, edit.value)
        if isinstance(edit, AddItems):
            return self._add_items(edit.path, edit.items)
        if isinstance(edit, RenameKey):
            return self._rename(edit)
        if isinstance(edit, RemoveKey):
            return self._remove(edit.path, edit.key)
        if isinstance(edit, HostListToRoleMap):
            return self._host_list_to_role_map(edit.path)
        if isinstance(edit, NestKeys):
            return self._nest_keys(edit.path, edit.under, edit.keep)
        if isinstance(edit, AppendLines):
            return self._append_lines(edit.file, edit.lines)
        if isinstance(edit, RemoveBOM):
            doc = next((f.doc for f in self.files if f.doc.path == edit.file), None)
            if doc is None or not doc.source.bom:
                return False
            self._write(doc, doc.source.text, bom=False)
            return True
        raise Refused(f"the patcher cannot apply {type(edit).__name__} edits")

    # -- text helpers ------------------------------------------------------------------------------------------

    @staticmethod
    def _line(doc: Document, index: int) -> int:
        return doc.source.position(index)[0]

    @staticmethod
    def _column(doc: Document, index: int) -> int:
        return doc.source.position(index)[1]

    def _last_line(self, doc: Document, start: int, end: int) -> int:
        """The line of the last non-blank character in [start, end): where a node's content really ends."""
        masked = doc.masked.text
        index = end - 1
        while index > start and masked[index] in " \t\n":
            index -= 1
        return self._line(doc, index)

    def _insert_after_line(self, doc: Document, line: int, lines: list[str]) -> Document:
        """Insert whole lines after 0-based `line` (-1: at the top); a missing final newline stays missing."""
        text = doc.source.text
        starts = doc.source.line_starts
        block = "\n".join(lines) + "\n"
        if line + 1 < len(starts):
            at = starts[line + 1]
            return self._write(doc, text[:at] + block + text[at:])
        return self._write(doc, text + "\n" + block[:-1])

    def _replace(self, doc: Document, start: int, end: int, new: str) -> Document:
        text = doc.source.text
        return self._write(doc, text[:start] + new + text[end:])

    def _colon_after(self, doc: Document, key: Node) -> int:
        """The index of the `:` that follows a key."""
        masked = doc.masked.text
        index = key.end
        while index < len(masked) and masked[index] in " \t":
            index += 1
        if index >= len(masked) or masked[index] != ":":
            raise Refused("an unusual key layout (the `:` is not where it is expected)")
        return index

    def _control_tags_in(self, doc: Document, start: int, end: int) -> list[int]:
        return [t.start for t in doc.masked.tags if t.whole_line and not t.output and start < t.start < end]

    # -- structure lookups -------------------------------------------------------------------------------------

    def _users(self, doc: Document, node: Node) -> list[tuple]:
        """Paths of `doc` whose settings are `node`'s: the node itself, its aliases, and the mappings that merge
        it with `<<` (more than one path when an anchor shares it)."""
        mappings = {id(node)}
        for holder in {id(_resolve(loc.value)): _resolve(loc.value) for loc in doc.locations.values()}.values():
            if isinstance(holder, Mapping) and any(
                is_merge_key(key) and node in _merged_sources(value) for key, value in holder.entries
            ):
                mappings.add(id(holder))
        return [p for p, loc in doc.locations.items() if id(_resolve(loc.value)) in mappings]

    def _kamal_relevant(self, path: tuple) -> bool:
        """Paths under a top-level `x-` key are extensions: Kamal never reads them."""
        return not (path and isinstance(path[0], str) and path[0].startswith("x-"))

    def _shared(self, doc: Document, node: Node, path: tuple) -> bool:
        """Is `node` (at `path`) shared with a user for whom nobody asked the same edit as the current one?"""
        others = [p for p in self._users(doc, node) if p != path and self._kamal_relevant(p)]
        return any(_rebase(self._edit, path, other) not in self.wanted for other in others)

    # -- SetKey ------------------------------------------------------------------------------------------------

    def _set_key(self, path: tuple, key, value) -> bool:
        view = self.view
        target = (*path, key)
        if view.has(target):
            if same_value(view.get(target), value):
                return False
            origin = view.origin(target)
            if origin.loc.via == "merge" and self._override_merged(origin.doc, path, key, value, origin.loc.value):
                return True
            self._guard_shared(origin.doc, path)
            self._replace_value(origin.doc, origin.loc, value)
            return True
        doc, mapping, missing = self._mapping_for(path)
        chain = (*missing, key)
        self._guard_shared(doc, path[: len(path) - len(missing)])
        self._add_entry(doc, mapping, chain[0], _nest(chain[1:], value))
        return True

    def _override_merged(self, doc: Document, path: tuple, key, value, node: Node) -> bool:
        """A value that a mapping of its own gets from `<<: *anchor`: change it in the anchor when every user of
        the anchor wants that, else give this mapping its own key (which wins over the merged one). False when
        the mapping at `path` is not one of its own, and the usual shared-node rules apply."""
        own = doc.locations.get(path)
        if own is None or own.via is not None or isinstance(own.value, Alias) or \
                not isinstance(_resolve(own.value), Mapping):
            return False
        definition = next((p for p, loc in doc.locations.items() if loc.value is node and loc.via is None), None)
        anchor_loc = doc.locations.get(definition[:-1]) if definition else None
        if anchor_loc is not None and not self._shared(doc, _resolve(anchor_loc.value), path):
            self._replace_value(doc, doc.locations[definition], value)
        else:
            self._add_entry(doc, _resolve(own.value), key, value)
        return True

    def _guard_shared(self, doc: Document, mapping_path: tuple) -> None:
        """Before editing a mapping an anchor shares with a user who does not want the same edit, give this
        user its own copy to edit (`<<: *anchor` plus its own keys), or refuse when that is impossible."""
        loc = doc.locations.get(mapping_path)
        if loc is None:
            return
        node = _resolve(loc.value)
        if not self._shared(doc, node, mapping_path):
            return
        if isinstance(loc.value, Alias) and loc.key is not None:
            self._override_alias(doc, loc)
        elif loc.via == "merge" and loc.key is not None and mapping_path:
            self._override_merge(doc, mapping_path, node)
        users = ", ".join(slash(p) for p in self._users(doc, node) if p != mapping_path)
        raise Refused(f"{slash(mapping_path)} is the anchor that {users} also use; editing it would change them too")

    def _override_alias(self, doc: Document, loc) -> None:
        """`options: *opts` becomes `options:` + `<<: *opts`, a mapping of its own that still merges the anchor."""
        alias = loc.value
        style = render.detect_style(doc)
        column = self._column(doc, loc.key.start) + style.indent
        reference = doc.source.text[alias.start : alias.end]
        doc = self._replace(doc, self._colon_after(doc, loc.key) + 1, alias.end, "")
        self._insert_after_line(doc, self._line(doc, loc.key.start), [" " * column + "<<: " + reference])
        raise _Retry

    def _override_merge(self, doc: Document, mapping_path: tuple, node: Node) -> None:
        """A mapping that comes from `<<: *base` gets an own key in the user that merges the same settings
        (the shared mapping gets an anchor if it has none): `options:` + `<<: *base_options`."""
        parent_path, name = mapping_path[:-1], mapping_path[-1]
        parent = doc.locations.get(parent_path)
        if parent is None or parent.via is not None or not isinstance(_resolve(parent.value), Mapping):
            return
        anchor = node.anchor
        if anchor is None:
            definition = next((loc for loc in doc.locations.values() if loc.value is node and loc.key is not None
                               and loc.via is None), None)
            if definition is None:
                return
            taken = set(re.findall(r"&([\w-]+)", doc.masked.text))
            holder = next((loc.value for p, loc in doc.locations.items() if loc is not definition and
                           isinstance(loc.value, Mapping) and any(v is node for _, v in loc.value.entries)), None)
            prefix = holder.anchor if holder is not None and holder.anchor else "shared"
            base = re.sub(r"[^\w-]", "_", f"{prefix}_{name}")
            anchor = next(f"{base}{n or ''}" for n in range(100) if f"{base}{n or ''}" not in taken)
            colon = self._colon_after(doc, definition.key)
            doc = self._replace(doc, colon + 1, colon + 1, f" &{anchor}")
        mapping = _resolve(self._doc_of(doc).locations[parent_path].value)
        doc = self._doc_of(doc)
        style = render.detect_style(doc)
        column = self._column(doc, mapping.entries[0][0].start)
        last_key, last_value = mapping.entries[-1]
        lines = [" " * column + f"{render.scalar(name)}:", " " * (column + style.indent) + f"<<: *{anchor}"]
        self._insert_after_line(doc, self._last_line(doc, last_key.start, max(last_value.end, last_key.end)), lines)
        raise _Retry

    def _doc_of(self, old: Document) -> Document:
        return next(f.doc for f in self.files if f.doc.path == old.path)

    def _mapping_for(self, path: tuple) -> tuple[Document, Node, tuple]:
        """Where to add a key under `path`: the file, its mapping node (or the null to fill), and the keys
        of `path` that do not exist yet and must be created on the way."""
        view = self.view
        depth = len(path)
        while depth > 0 and not view.has(path[:depth]):
            depth -= 1
        existing = path[:depth]
        value = view.get(existing) if existing else view.data
        if isinstance(value, dict):
            live = view.live_layers(existing)
            doc = self.base if self.base in live else (live[-1] if live else view.origin(existing).doc)
            loc = doc.locations.get(existing)
            return doc, _resolve(loc.value), path[depth:]
        if value is None:
            origin = view.origin(existing)
            return origin.doc, origin.loc, path[depth:]  # a Loc: the empty value of a key, to fill
        raise Refused(f"{slash(existing)} holds {type(value).__name__}, not settings that can take `{path[-1]}`")

    def _add_entry(self, doc: Document, where, key, value) -> None:
        """Add `key: value` to a mapping node, or fill the empty value of a key (`where` is then its Loc)."""
        style = render.detect_style(doc)
        if not isinstance(where, Mapping):
            self._fill(doc, where, {key: value}, style)
            return
        mapping = where
        if mapping.flow:
            if not mapping.entries:
                self._replace(doc, mapping.start, mapping.end, render.flow({key: value}))
                return
            last = mapping.entries[-1][1]
            self._replace(doc, last.end, last.end, f", {render.scalar(key, True)}: {render.flow(value)}")
            return
        if not mapping.entries:
            raise Refused("an empty block mapping")
        column = self._column(doc, mapping.entries[0][0].start)
        tags = self._control_tags_in(doc, mapping.entries[0][0].start, mapping.end)
        entries = [e for e in mapping.entries if not tags or e[1].end < tags[0]]
        lines = render.entry(key, value, column, style)
        if not entries:
            self._insert_after_line(doc, self._line(doc, mapping.entries[0][0].start) - 1, lines)
            return
        last_key, last_value = entries[-1]
        self._insert_after_line(doc, self._last_line(doc, last_key.start, max(last_value.end, last_key.end)), lines)

    def _fill(self, doc: Document, loc, value, style: render.Style, first_item: str | None = None) -> Document:
        """Give a key a block value in place of what it holds on its own line (nothing, `~`, `[]`, a scalar,
        an alias). `first_item` keeps the old scalar's text, as written, as the first list item."""
        key = loc.key
        if key is None:
            raise Refused("a list item without settings")
        node = loc.value
        colon = self._colon_after(doc, key)
        column = self._column(doc, key.start)
        if isinstance(value, dict):
            lines = []
            for child_key, child in value.items():
                lines += render.entry(child_key, child, column + style.indent, style)
        else:
            dash = column + style.sequence_offset
            lines = ([" " * dash + "- " + first_item] if first_item is not None else []) + render.items(
                value, dash, style)
        key_line = self._line(doc, key.start)
        if node.end > colon + 1:
            if self._line(doc, node.end) != key_line:
                raise Refused("replacing a multi-line value would rewrite lines that hold comments")
            doc = self._replace(doc, colon + 1, node.end, "")
        return self._insert_after_line(doc, key_line, lines)

    def _replace_value(self, doc: Document, loc, value) -> Document:
        node = loc.value
        if isinstance(node, Scalar) and not isinstance(value, (dict, list, tuple)):
            return self._replace(doc, node.start, node.end, render.scalar(value, flow=True))
        return self._fill(doc, loc, value, render.detect_style(doc))

    def _loc_of_key(self, doc: Document, key_start: int):
        """The Loc whose key starts at `key_start` in a freshly parsed document."""
        for loc in doc.locations.values():
            if loc.key is not None and loc.key.start == key_start:
                return loc
        raise PatchBug("lost track of a key after an edit")

    # -- AddItems ----------------------------------------------------------------------------------------------

    def _add_items(self, path: tuple, items: tuple) -> bool:
        view = self.view
        current = view.get(path, MISSING) if view.has(path) else MISSING
        if current is MISSING:
            return self._set_key(path[:-1], path[-1], list(items))
        if current is None or current == []:
            origin = view.origin(path)
            self._guard_shared(origin.doc, path[:-1])
            self._fill(origin.doc, origin.loc, list(items), render.detect_style(origin.doc))
            return True
        existing = current if isinstance(current, list) else [current]
        missing = [i for i in items if not any(same_value(e, i) for e in existing)]
        if not missing:
            return False
        origin = view.origin(path)
        doc, loc = origin.doc, origin.loc
        node = _resolve(loc.value)
        if self._shared(doc, node, path):
            raise Refused(f"the list {slash(path)} is shared through an anchor with another user")
        style = render.detect_style(doc)
        if isinstance(node, Sequence):
            if node.flow:
                text = ", ".join(render.flow(i) for i in missing)
                if node.items:
                    self._replace(doc, node.items[-1].end, node.items[-1].end, ", " + text)
                else:
                    self._replace(doc, node.start, node.end, "[" + text + "]")
                return True
            column = self._column(doc, node.start)
            tags = self._control_tags_in(doc, node.start, node.end)
            kept = [i for i in node.items if not tags or i.end < tags[0]]
            if not kept:
                raise Refused("the list is built inside ERB control flow")
            after = self._last_line(doc, kept[-1].start, kept[-1].end)
            self._insert_after_line(doc, after, render.items(missing, column, style))
            return True
        if isinstance(node, Scalar) and loc.key is not None:
            self._fill(doc, loc, missing, style, first_item=doc.source.text[node.start : node.end])
            return True
        raise Refused(f"{slash(path)} is not a list")

    # -- RenameKey ---------------------------------------------------------------------------------------------

    def _rename(self, edit: RenameKey) -> bool:
        view = self.view
        old_path = (*edit.path, edit.old)
        if not view.has(old_path):
            return False
        if view.has((*edit.path, edit.new)):
            raise Refused(f"{slash((*edit.path, edit.new))} already exists")
        origin = view.origin(old_path)
        doc, loc = origin.doc, origin.loc
        if loc.via is not None:
            raise Refused(f"{slash(old_path)} comes from an anchor; rename it there by hand")
        doc = self._replace(doc, loc.key.start, loc.key.end, render.scalar(edit.new))
        if edit.value is not KEEP:
            self._replace_value(doc, self._loc_of_key(doc, loc.key.start), edit.value)
        return True

    # -- RemoveKey ---------------------------------------------------------------------------------------------

    def _remove(self, path: tuple, key) -> bool:
        changed = False
        target = (*path, key)
        # once an overlay's value goes, a base value under it would come back: remove until none is left
        while self.view.has(target):
            origin = self.view.origin(target)
            self._remove_entry(origin.doc, path, key, origin.loc)
            changed = True
        return changed

    def _remove_entry(self, doc: Document, path: tuple, key, loc) -> None:
        if loc.via is not None:
            raise Refused(f"{slash((*path, key))} comes from an anchor that other settings share")
        parent_loc = doc.locations.get(path)
        mapping = _resolve(parent_loc.value) if parent_loc else None
        if not isinstance(mapping, Mapping):
            raise Refused(f"{slash(path)} is not a mapping")
        own = [e for e in mapping.entries if e[0] is loc.key]
        if not own:
            raise Refused(f"{slash((*path, key))} is not written where expected")
        if len(mapping.entries) == 1 and path:
            self._remove_entry(doc, path[:-1], path[-1], parent_loc)  # an emptied mapping goes with its key
            return
        if mapping.flow:
            self._remove_flow_entry(doc, mapping, loc)
            return
        first = self._line(doc, loc.key.start)
        line_start = doc.source.line_starts[first]
        if doc.masked.text[line_start : loc.key.start].strip():
            raise Refused("the key shares its line with other YAML (`- key:`)")
        last = self._last_line(doc, loc.key.start, max(loc.value.end, loc.key.end))
        column = self._column(doc, loc.key.start)
        kept = []
        for number in range(first, last + 1):
            line = doc.source.line_text(number)
            comment = _comment_of(doc.masked.text, doc.source.line_starts[number], line)
            if line.strip().startswith("#"):
                kept.append(line)
            elif comment is not None:
                kept.append(" " * column + line[comment:])
        starts = doc.source.line_starts
        text = doc.source.text
        end = starts[last + 1] if last + 1 < len(starts) else len(text)
        block = "".join(k + "\n" for k in kept)
        self._write(doc, text[: starts[first]] + block + text[end:])

    def _remove_flow_entry(self, doc: Document, mapping: Mapping, loc) -> None:
        text = doc.source.text
        index = next(i for i, e in enumerate(mapping.entries) if e[0] is loc.key)
        start, end = loc.key.start, loc.value.end
        if index + 1 < len(mapping.entries):
            end = mapping.entries[index + 1][0].start
        else:
            start = mapping.entries[index - 1][1].end
        self._write(doc, text[:start] + text[end:])

    # -- HostListToRoleMap -------------------------------------------------------------------------------------

    def _host_list_to_role_map(self, role_path: tuple) -> bool:
        view = self.view
        servers = view.get(("servers",))
        if isinstance(servers, list) and role_path == ("servers", "web"):
            origin, keys = view.origin(("servers",)), ("web", "hosts")
        elif isinstance(view.get(role_path), list):
            origin, keys = view.origin(role_path), ("hosts",)
        else:
            return False
        doc, loc = origin.doc, origin.loc
        if loc.key is None or loc.via == "merge":
            raise Refused(f"{slash(role_path)} is not written as `key: [hosts]`")
        style = render.detect_style(doc)
        column = self._column(doc, loc.key.start)
        key_line = self._line(doc, loc.key.start)
        headers = [" " * (column + (i + 1) * style.indent) + f"{k}:" for i, k in enumerate(keys)]
        node = loc.value
        text = doc.source.text
        if isinstance(node, Alias) or node.flow:
            headers[-1] += " " + text[node.start : node.end]
            doc = self._replace(doc, self._colon_after(doc, loc.key) + 1, node.end, "")
            self._insert_after_line(doc, key_line, headers)
            return True
        first = self._line(doc, node.start)
        dash = self._column(doc, node.start)
        if dash > column + (len(keys) - 1) * style.indent:
            # The list can stay where it is, as a flush list under `hosts:` written at its dashes' column:
            # no host line changes.
            headers = [" " * (column + (i + 1) * style.indent) + f"{k}:" for i, k in enumerate(keys[:-1])]
            headers.append(" " * dash + f"{keys[-1]}:")
            self._insert_after_line(doc, key_line, headers)
            return True
        last = self._last_line(doc, node.start, node.end)
        shift = column + len(keys) * style.indent + style.sequence_offset - dash
        starts = doc.source.line_starts
        end = starts[last + 1] if last + 1 < len(starts) else len(text)
        listed = text[starts[first] : end].split("\n")
        moved = [(" " * shift + line if shift >= 0 else _dedent(line, -shift)) if line.strip() else line
                 for line in listed]
        after_key = starts[key_line + 1]
        self._write(doc, text[:after_key] + "\n".join(headers) + "\n" + text[after_key : starts[first]] +
                    "\n".join(moved) + text[end:])
        return True


    # -- NestKeys --------------------------------------------------------------------------------------------

    def _nest_keys(self, path: tuple, under: str, keep: tuple) -> bool:
        view = self.view
        mapping = view.get(path)
        if not isinstance(mapping, dict):
            return False
        moving = [k for k in mapping if k not in keep and k != under]
        if not moving:
            return False
        origin = view.origin(path)
        doc, loc = origin.doc, origin.loc
        node = _resolve(loc.value)
        if loc.via is not None or isinstance(loc.value, Alias) or not isinstance(node, Mapping) or node.flow:
            raise Refused(f"{slash(path)} is shared through an anchor or written in flow style; change it by hand")
        entries = [(i, key, value) for i, (key, value) in enumerate(node.entries)
                   if isinstance(key, Scalar) and str(key.value) in moving]
        indexes = [i for i, _, _ in entries]
        if len(entries) != len(moving) or indexes != list(range(indexes[0], indexes[0] + len(indexes))):
            raise Refused(f"the settings of {slash(path)} to move are interleaved with others; move them by hand")
        if under in mapping:
            raise Refused(f"{slash(path)} already has `{under}:`; move the other settings into it by hand")
        style = render.detect_style(doc)
        column = self._column(doc, node.entries[0][0].start)
        first = self._line(doc, entries[0][1].start)
        last_key, last_value = entries[-1][1], entries[-1][2]
        last = self._last_line(doc, last_key.start, max(last_value.end, last_key.end))
        text = doc.source.text
        starts = doc.source.line_starts
        end = starts[last + 1] if last + 1 < len(starts) else len(text)
        moved = "\n".join(" " * style.indent + line if line.strip() else line
                          for line in text[starts[first] : end].split("\n"))
        self._write(doc, text[: starts[first]] + " " * column + f"{under}:\n" + moved + text[end:])
        return True

    # -- AppendLines -------------------------------------------------------------------------------------------

    def _append_lines(self, path: str, lines: tuple) -> bool:
        state = self.texts.get(path)
        if state is None:
            from ..source.text import DecodeError, InputError, read

            try:
                source = read(path)
            except InputError:
                source = None  # no such file yet: the fix creates it
            except DecodeError as exc:
                raise Refused(f"{path} is not UTF-8 text") from exc
            if source is None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
                raise Refused(f"{path} would be created in a folder that does not exist")
            state = self.texts[path] = TextFile(path, source, source.text if source else "")
        present = {line.strip() for line in state.text.split("\n")}
        missing = [line for line in lines if line.strip() not in present]
        if not missing:
            return False
        text = state.text if not state.text or state.text.endswith("\n") else state.text + "\n"
        state.text = text + "\n".join(missing) + "\n"
        return True


def _merged_sources(value: Node) -> list[Node]:
    value = _resolve(value)
    return [_resolve(item) for item in value.items] if isinstance(value, Sequence) else [value]


def _rebase(edit: Edit, old: tuple, new: tuple) -> Edit:
    """The same edit, for another user of a shared node: its path moved from under `old` to under `new`."""
    return edit.moved((*new, *edit.path[len(old):]))


def _nest(keys: tuple, value):
    for name in reversed(keys):
        value = {name: value}
    return value


def _dedent(line: str, amount: int) -> str:
    if line[:amount].strip():
        raise Refused("the list is indented too little to move")
    return line[amount:]


_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")


def _comment_of(masked: str, line_start: int, line: str) -> int | None:
    """Where an end-of-line `# comment` starts in `line` (a column), or None; quotes are skipped."""
    masked_line = masked[line_start : line_start + len(line)]
    blanked = _QUOTED.sub(lambda m: "_" * len(m.group(0)), masked_line)
    match = re.search(r"(?:^|\s)(#.*)$", blanked)
    if not match or not masked_line[: match.start(1)].strip():
        return None
    return match.start(1)


def apply_to_data(data: dict, edit: Edit) -> None:
    """What an edit means for the merged data: the expectation the patched file is checked against."""
    if isinstance(edit, SetKey):
        node = _ensure(data, edit.path)
        node[edit.key] = list(edit.value) if isinstance(edit.value, tuple) else edit.value
    elif isinstance(edit, AddItems):
        parent = _ensure(data, edit.path[:-1])
        current = parent.get(edit.path[-1])
        items = current if isinstance(current, list) else ([] if current is None else [current])
        parent[edit.path[-1]] = items + [i for i in edit.items if not any(same_value(e, i) for e in items)]
    elif isinstance(edit, RenameKey):
        parent = lookup(data, edit.path)
        if isinstance(parent, dict) and edit.old in parent:
            value = parent.pop(edit.old)
            parent[edit.new] = value if edit.value is KEEP else edit.value
    elif isinstance(edit, RemoveKey):
        parent = lookup(data, edit.path)
        if isinstance(parent, dict):
            parent.pop(edit.key, None)
            path = edit.path
            while path and parent == {}:
                grand = lookup(data, path[:-1])
                grand.pop(path[-1], None)
                path, parent = path[:-1], grand
    elif isinstance(edit, NestKeys):
        mapping = lookup(data, edit.path)
        if isinstance(mapping, dict):
            moving = [k for k in mapping if k not in edit.keep and k != edit.under]
            if moving:
                nested = mapping.setdefault(edit.under, {})
                for key in moving:
                    nested[key] = mapping.pop(key)
    elif isinstance(edit, HostListToRoleMap):
        if edit.path == ("servers", "web") and isinstance(data.get("servers"), list):
            data["servers"] = {"web": {"hosts": data["servers"]}}
        else:
            parent = lookup(data, edit.path[:-1])
            if isinstance(parent, dict) and isinstance(parent.get(edit.path[-1]), list):
                parent[edit.path[-1]] = {"hosts": parent[edit.path[-1]]}


def _ensure(data: dict, path: tuple) -> dict:
    node = data
    for key in path:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    return node
