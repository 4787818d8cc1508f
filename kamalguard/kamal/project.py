"""Which files make up a check: the deploy file, its destination overlay, and the project root around them."""

from __future__ import annotations

import os
import re
import stat

from ..record import Frozen
from ..source.text import MAX_FILE_BYTES, InputError


class Target(Frozen):
    """One config as Kamal would load it: a base deploy file, merged with one destination's overlay or not."""

    __slots__ = ("base", "destination", "root", "stdin")

    def __init__(self, root: str, base: str, destination: str | None = None, stdin: bool = False):
        self.root = root  # the project root: the folder that holds config/
        self.base = base  # path of the base deploy file
        self.destination = destination
        self.stdin = stdin

    @property
    def overlay(self) -> str | None:
        return overlay_path(self.base, self.destination) if self.destination else None


def overlay_path(base: str, destination: str) -> str:
    """Kamal's rule: config/deploy.yml with `-d staging` reads config/deploy.staging.yml."""
    stem, _ = os.path.splitext(base)
    return f"{stem}.{destination}.yml"


def destinations(base: str) -> list[str]:
    """Every destination that has an overlay next to the base file, sorted."""
    folder = os.path.dirname(base) or "."
    stem = os.path.splitext(os.path.basename(base))[0]
    pattern = re.compile(rf"{re.escape(stem)}\.([^./]+)\.yml\Z")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(m.group(1) for m in map(pattern.match, names) if m)


def project_root(base: str) -> str:
    """The folder that holds config/ (for config/deploy.yml), else the deploy file's own folder."""
    folder = os.path.dirname(os.path.abspath(base))
    if os.path.basename(folder) == "config":
        return os.path.dirname(folder)
    return folder


def display_path(path: str, root: str | None = None) -> str:
    """Paths are shown relative to the working directory when inside it, with forward slashes."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root or os.getcwd())
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") and root is None else relative.replace(os.sep, "/")


def resolve_targets(paths: list[str], destination: str | None, all_destinations: bool,
                    root: str | None = None) -> list[Target]:
    """Command-line PATHs to targets. A PATH is a deploy file, a project folder, or `-` for stdin.

    Naming an overlay file (config/deploy.staging.yml next to config/deploy.yml) checks it merged over its base.
    """
    targets: list[Target] = []
    for raw in paths or ["."]:
        if raw == "-":
            targets.append(Target(root or os.getcwd(), "config/deploy.yml", destination, stdin=True))
            continue
        base, implied = _base_file(raw)
        dest = destination or implied
        project = os.path.abspath(root) if root else project_root(base)
        if all_destinations and not implied:
            targets.append(Target(project, base))
            targets.extend(Target(project, base, d) for d in destinations(base))
            continue
        if dest and not os.path.lexists(overlay_path(base, dest)):
            raise InputError(
                f"{display_path(overlay_path(base, dest))}: destination '{dest}' has no overlay file "
                f"(Kamal reads {os.path.basename(overlay_path(base, dest))} for -d {dest})"
            )
        targets.append(Target(project, base, dest))
    return targets


def _base_file(raw: str) -> tuple[str, str | None]:
    if os.path.isdir(raw):
        candidate = os.path.join(raw, "config", "deploy.yml")
        if not os.path.lexists(candidate):  # a broken link or a loop is there: reading it says which
            raise InputError(f"{display_path(raw)}: is a folder without config/deploy.yml; name the deploy file")
        return candidate, None
    name = os.path.basename(raw)
    match = re.fullmatch(r"(.+)\.([^./]+)\.yml", name)
    if match:
        sibling = os.path.join(os.path.dirname(raw), f"{match.group(1)}.yml")
        if os.path.isfile(sibling):
            return sibling, match.group(2)
    return raw, None


class ProjectFiles:
    """Read-only access to files around the deploy file, confined to the project root.

    A path that leaves the root, directly or through a symlink, reads as missing: kamalguard never looks
    outside the project it was asked to check.
    """

    def __init__(self, root: str, overrides: dict[str, str] | None = None):
        self.root = os.path.realpath(root)
        self._texts: dict[str, str | None] = {}
        self._real: dict[str, str] = {}  # relative -> real path: rules ask for the same files again and again
        self.overrides = overrides or {}  # real path -> text: files a fix changed in memory, not yet on disk

    def _realpath(self, relative: str) -> str:
        real = self._real.get(relative)
        if real is None:
            folder, _, name = relative.rpartition("/")
            if os.sep != "/" or relative.startswith("/") or name in ("", ".", ".."):
                real = os.path.realpath(os.path.join(self.root, relative))
            else:
                # The real path of the folder (the root is real already) plus one name, resolved only when that
                # name is a link: as os.path.realpath would, without checking every folder up to / again.
                real = os.path.join(self._realpath(folder) if folder else self.root, name)
                try:
                    link = stat.S_ISLNK(os.lstat(real).st_mode)
                except OSError:
                    link = False
                if link:
                    real = os.path.realpath(real)
            self._real[relative] = real
        return real

    def inside(self, relative: str) -> bool:
        """Does `relative` (existing or not) stay inside the root once symlinks are resolved? A path that leaves it
        can be neither read nor said to be missing: what it holds is unknown."""
        if "\0" in relative:  # no file has such a name: the path is nonsense, not a place to look
            return False
        candidate = self._realpath(relative)
        return candidate == self.root or candidate.startswith(self.root + os.sep)

    def resolve(self, relative: str) -> str | None:
        """The real path of `relative` when it exists inside the root, else None."""
        if not self.inside(relative):
            return None
        candidate = self._realpath(relative)
        return candidate if os.path.exists(candidate) or candidate in self.overrides else None

    def exists(self, relative: str) -> bool:
        return self.resolve(relative) is not None

    def read(self, relative: str) -> str | None:
        """The file's text (undecodable bytes replaced), or None when it is missing, outside, or unreadable."""
        if relative not in self._texts:
            text = None
            if self.inside(relative):
                path = self._realpath(relative)
                text = self.overrides.get(path)
                if text is None:
                    try:
                        if stat.S_ISREG(os.stat(path).st_mode):  # one stat: it exists and is a file
                            with open(path, "rb") as handle:
                                text = handle.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
                    except OSError:
                        text = None
            self._texts[relative] = text
        return self._texts[relative]

    def listdir(self, relative: str) -> list[str]:
        path = self.resolve(relative)
        try:
            return sorted(os.listdir(path)) if path and os.path.isdir(path) else []
        except OSError:
            return []
