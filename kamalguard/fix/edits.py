"""Fixes are data: edits on YAML paths of the merged config. The patcher (patcher.py) applies them to files.

Paths name the Kamal view, e.g. ("servers", "web", "options"); the patcher decides which file and which node
that means (the overlay that set a value, the base for a new key, an anchor shared by every user).
"""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple


@dataclass(frozen=True)
class SetKey:
    """Set `key` in the mapping at `path` (creating the mapping and its parents when missing)."""

    path: Path
    key: str
    value: object

    def describe(self) -> str:
        return f"set {_slash((*self.path, self.key))}"


@dataclass(frozen=True)
class AddItems:
    """Append `items` to the list at `path` (creating it when missing), skipping items already there.

    A scalar already at `path` (`tmpfs: /tmp`) becomes a list holding it and the new items.
    """

    path: Path
    items: tuple

    def describe(self) -> str:
        return f"add to {_slash(self.path)}"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class RenameKey:
    """Rename `old` to `new` in the mapping at `path`, in place; with `value`, also replace what it holds."""

    path: Path
    old: str
    new: str
    value: object = KEEP

    def describe(self) -> str:
        return f"rename {_slash((*self.path, self.old))} to {self.new}"


@dataclass(frozen=True)
class RemoveKey:
    path: Path
    key: str

    def describe(self) -> str:
        return f"remove {_slash((*self.path, self.key))}"


@dataclass(frozen=True)
class HostListToRoleMap:
    """Turn a role written as a host list (`servers: [a, b]`, or `web: [a]`) into `{hosts: [...]}` so it can
    take settings. `path` is the role's path: ("servers", "web")."""

    path: Path

    def describe(self) -> str:
        return f"turn {_slash(self.path)} into a role map with hosts:"


@dataclass(frozen=True)
class RemoveBOM:
    """Drop the UTF-8 byte order mark at the start of `file` (a BOM is about bytes, not about a YAML path)."""

    file: str

    def describe(self) -> str:
        return "remove the UTF-8 byte order mark"


Edit = SetKey | AddItems | RenameKey | RemoveKey | HostListToRoleMap | RemoveBOM


def _slash(path: Path) -> str:
    return "/".join(str(p) for p in path)
