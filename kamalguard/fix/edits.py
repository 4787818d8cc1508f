"""Fixes are data: edits on YAML paths of the merged config. The patcher (patcher.py) applies them to files.

Paths name the Kamal view, e.g. ("servers", "web", "options"); the patcher decides which file and which node
that means (the overlay that set a value, the base for a new key, an anchor shared by every user).
"""

from __future__ import annotations

from ..record import Frozen

Path = tuple


class _Edit(Frozen):
    """Edits are equal only to edits of the same kind (an AddItems is never a SetKey), as the planner and the
    patcher compare them across kinds."""

    __slots__ = ()

    def moved(self, path: Path) -> Edit:
        """The same edit at another path (for another user of a node an anchor shares)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        return self.__class__(**{**fields, "path": path})


class SetKey(_Edit):
    """Set `key` in the mapping at `path` (creating the mapping and its parents when missing)."""

    __slots__ = ("key", "path", "value")

    def __init__(self, path: Path, key: str, value: object):
        self.path = path
        self.key = key
        self.value = value

    def describe(self) -> str:
        return f"set {_slash((*self.path, self.key))}"


class AddItems(_Edit):
    """Append `items` to the list at `path` (creating it when missing), skipping items already there.

    A scalar already at `path` (`tmpfs: /tmp`) becomes a list holding it and the new items.
    """

    __slots__ = ("items", "path")

    def __init__(self, path: Path, items: tuple):
        self.path = path
        self.items = items

    def describe(self) -> str:
        return f"add to {_slash(self.path)}"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


class RenameKey(_Edit):
    """Rename `old` to `new` in the mapping at `path`, in place; with `value`, also replace what it holds."""

    __slots__ = ("new", "old", "path", "value")

    def __init__(self, path: Path, old: str, new: str, value: object = KEEP):
        self.path = path
        self.old = old
        self.new = new
        self.value = value

    def describe(self) -> str:
        return f"rename {_slash((*self.path, self.old))} to {self.new}"


class RemoveKey(_Edit):
    __slots__ = ("key", "path")

    def __init__(self, path: Path, key: str):
        self.path = path
        self.key = key

    def describe(self) -> str:
        return f"remove {_slash((*self.path, self.key))}"


class HostListToRoleMap(_Edit):
    """Turn a role written as a host list (`servers: [a, b]`, or `web: [a]`) into `{hosts: [...]}` so it can
    take settings. `path` is the role's path: ("servers", "web")."""

    __slots__ = ("path",)

    def __init__(self, path: Path):
        self.path = path

    def describe(self) -> str:
        return f"turn {_slash(self.path)} into a role map with hosts:"


class RemoveBOM(_Edit):
    """Drop the UTF-8 byte order mark at the start of `file` (a BOM is about bytes, not about a YAML path)."""

    __slots__ = ("file",)

    def __init__(self, file: str):
        self.file = file

    def describe(self) -> str:
        return "remove the UTF-8 byte order mark"


class NestKeys(_Edit):
    """Move the entries of the mapping at `path` under its key `under` (created when missing, appended to when
    present), in their order, except the keys listed in `keep`, which stay where they are. Nothing to move (every
    key is in `keep`): no change, so the edit is idempotent.

    Kamal's env uses it to turn a simple-form env into `clear:`/`secret:` form:
    `NestKeys(("env",), "clear", keep=("clear", "secret", "tags"))` turns `env: {A: 1}` into
    `env: {clear: {A: 1}}`.
    """

    __slots__ = ("keep", "path", "under")

    def __init__(self, path: Path, under: str, keep: tuple = ()):
        self.path = path
        self.under = under
        self.keep = keep

    def describe(self) -> str:
        return f"move the settings of {_slash(self.path)} under {self.under}:"


class AppendLines(_Edit):
    """Append `lines` to the end of the text file `file` (a file that is not a deploy file, such as `.dockerignore`;
    its path as findings show it, like RemoveBOM.file), each on its own line; create the file when it does not
    exist. A line already in the file
    (compared with surrounding whitespace stripped) is not added again, so the edit is idempotent. When the file
    does not end with a newline, one is added before the new lines; the file keeps its line-break style."""

    __slots__ = ("file", "lines")

    def __init__(self, file: str, lines: tuple):
        self.file = file
        self.lines = lines

    def describe(self) -> str:
        return f"append {len(self.lines)} line{'s' if len(self.lines) != 1 else ''} to {self.file}"


Edit = SetKey | AddItems | RenameKey | RemoveKey | HostListToRoleMap | RemoveBOM | NestKeys | AppendLines


def _slash(path: Path) -> str:
    return "/".join(str(p) for p in path)
