"""What Kamal builds: the Dockerfile named by builder.dockerfile, its build context and .dockerignore.

Kamal runs `docker build --file <builder.dockerfile> <builder.context>` from the project root, so the
Dockerfile path is relative to the root (default `Dockerfile`) and the context defaults to the root too.
`builder.args` become `--build-arg`s, which replace ARG defaults. With `builder.pack` Kamal builds with
buildpacks and no Dockerfile is used. BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile first,
then `.dockerignore` in the context.

Each file is "found", "missing" (a finding for the rules that need it), or "unknown": ERB names it, it lies
outside the project (kamalguard never reads there), or the context is a URL. Unknown files are not judged.
"""

from __future__ import annotations

import posixpath

from ..record import Frozen, Record
from ..source.dockerfile import Dockerfile, Stage, parse
from ..source.scalars import ErbValue

FOUND, MISSING, UNKNOWN, UNUSED = "found", "missing", "unknown", "unused"


class Build(Record):
    __slots__ = (
        "context",
        "dockerfile",
        "dockerfile_path",
        "dockerfile_state",
        "dockerignore",
        "dockerignore_path",
        "dockerignore_state",
        "target",
    )

    def __init__(self, dockerfile_path: str, context: str, target: str | None, dockerfile: Dockerfile | None,
                 dockerfile_state: str, dockerignore_path: str | None, dockerignore: DockerIgnore | None,
                 dockerignore_state: str):
        self.dockerfile_path = dockerfile_path  # relative to the project root
        self.context = context
        self.target = target
        self.dockerfile = dockerfile  # None unless dockerfile_state is "found"
        self.dockerfile_state = dockerfile_state  # found | missing | unknown | unused (buildpacks)
        self.dockerignore_path = dockerignore_path  # the ignore file BuildKit would use, or where a new one belongs
        self.dockerignore = dockerignore  # None unless dockerignore_state is "found"
        self.dockerignore_state = dockerignore_state  # found | missing | unknown | unused

    @property
    def final_stage(self) -> Stage | None:
        return self.dockerfile.stage(self.target) if self.dockerfile else None


class IgnoreRule(Frozen):
    __slots__ = ("line", "pattern")

    def __init__(self, pattern: str, line: int):
        self.pattern = pattern  # as written, `!` included
        self.line = line  # 1-based

    @property
    def negated(self) -> bool:
        return self.pattern.startswith("!")


class DockerIgnore(Record):
    """A .dockerignore file with Docker's semantics (moby/patternmatcher), matched by pathspec.

    Docker differs from gitignore: every pattern is relative to the context root (`*.key` matches `a.key` but not
    `config/a.key`; `**/*.key` matches both), a leading `/` and a trailing `/` are dropped (paths are cleaned),
    a pattern that matches a folder excludes what is inside it, and the last matching pattern wins, so `!` can
    re-include a file inside an excluded folder. Each pattern is anchored and handed to pathspec's gitignore
    patterns with plain last-match-wins evaluation, which gives exactly that.
    """

    __slots__ = ("_decisions", "_spec", "rules", "text")

    def __init__(self, text: str):
        self.text = text
        self.rules: list[IgnoreRule] = []
        for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            pattern = line.strip()
            if pattern and not pattern.startswith("#"):
                self.rules.append(IgnoreRule(pattern, number))
        self._spec = None
        self._decisions: dict[str, tuple[bool, IgnoreRule | None]] = {}

    def _matcher(self):
        if self._spec is None:
            from pathspec import PathSpec

            self._spec = PathSpec.from_lines("gitignore", [_anchored(rule.pattern) for rule in self.rules])
        return self._spec

    def check(self, path: str) -> tuple[bool, IgnoreRule | None]:
        """(is `path` left out of the build context?, the rule that decided it, None when no rule matched)."""
        if path not in self._decisions:
            self._decisions[path] = self._decide(path)
        return self._decisions[path]

    def _decide(self, path: str) -> tuple[bool, IgnoreRule | None]:
        if not self.rules:
            return False, None
        result = self._matcher().check_file(path)
        if result.index is None:
            return False, None
        return bool(result.include), self.rules[result.index]


def _anchored(pattern: str) -> str:
    negated = pattern.startswith("!")
    body = pattern[1:].strip() if negated else pattern
    body = posixpath.normpath(body.lstrip("/")) if body.strip("/") else ""
    body = "" if body == "." else body
    return ("!" if negated else "") + "/" + body


def _setting(view, key: str, default: str | None) -> str | None:
    """A builder setting as a path; None when ERB (or something that is not text) writes it."""
    value = view.get(("builder", key))
    if value is None:
        return default
    if isinstance(value, ErbValue) or not isinstance(value, str) or not value.strip():
        return None
    return value


def _remote(context: str) -> bool:
    return "://" in context or context.startswith("git@")


def build(ctx) -> Build:
    """The build of the checked config, read once per check."""
    if "build" not in ctx.cache:
        ctx.cache["build"] = _read(ctx.view, ctx.project)
    return ctx.cache["build"]


def _read(view, project) -> Build:
    context = _setting(view, "context", ".")
    dockerfile_path = _setting(view, "dockerfile", "Dockerfile")
    dockerfile_path = posixpath.normpath(dockerfile_path) if dockerfile_path else None
    target = _setting(view, "target", None)
    args = view.get(("builder", "args"))
    build_args = {k: v for k, v in args.items() if not isinstance(v, (ErbValue, dict, list))} \
        if isinstance(args, dict) else {}

    if view.get(("builder", "pack")) not in (None, False):
        dockerfile, dockerfile_state = None, UNUSED
    else:
        dockerfile, dockerfile_state = None, _state(project, dockerfile_path)
        if dockerfile_state == FOUND:
            dockerfile = _parsed(project.read(dockerfile_path), build_args)

    ignore_path, ignore, ignore_state = None, None, UNKNOWN
    if dockerfile_state == UNUSED:
        ignore_state = UNUSED
    elif context is not None and not _remote(context):
        context = posixpath.normpath(context)
        candidates = ([f"{dockerfile_path}.dockerignore"] if dockerfile_path else []) + \
            [posixpath.normpath(posixpath.join(context, ".dockerignore"))]
        states = [_state(project, c) for c in candidates]
        if FOUND in states:
            ignore_path = candidates[states.index(FOUND)]
            ignore, ignore_state = _parsed_ignore(project.read(ignore_path)), FOUND
        elif states[-1] == MISSING and UNKNOWN not in states:
            ignore_path, ignore_state = candidates[-1], MISSING
    return Build(dockerfile_path or "Dockerfile", context or ".", target, dockerfile, dockerfile_state,
                 ignore_path, ignore, ignore_state)


# The projects of one run often share a Dockerfile and a .dockerignore: each is parsed (and its patterns compiled)
# once per process, by content, and read-only once made.
_DOCKERFILES: dict[tuple, Dockerfile] = {}  # (text, build args) -> the Dockerfile
_IGNORES: dict[str, DockerIgnore] = {}  # text -> the .dockerignore


def _parsed(text: str, build_args: dict) -> Dockerfile:
    key = (text, tuple(sorted((str(k), str(v)) for k, v in build_args.items())))
    if key not in _DOCKERFILES:
        _DOCKERFILES[key] = parse(text, build_args)
    return _DOCKERFILES[key]


def _parsed_ignore(text: str) -> DockerIgnore:
    if text not in _IGNORES:
        _IGNORES[text] = DockerIgnore(text)
    return _IGNORES[text]


def _state(project, relative: str | None) -> str:
    if project is None or relative is None or not project.inside(relative):
        return UNKNOWN
    return FOUND if project.read(relative) is not None else MISSING
