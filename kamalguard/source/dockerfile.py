"""A careful Dockerfile reader: stages, and what each stage ends up with (WORKDIR, USER, ENV, HEALTHCHECK).

It follows the Dockerfile reference (and BuildKit's parser where the reference is silent): parser directives
(`# escape=`), line continuations (a trailing escape character, even with spaces after it; comment and empty
lines inside a continuation are skipped), heredocs on RUN/COPY/ADD (`RUN <<EOF ... EOF`, `<<-EOF` strips tabs),
ARG scoping (an ARG before the first FROM is visible in FROM lines only; a stage sees it after redeclaring it
with `ARG NAME`; a stage's own ARGs end with the stage), build arguments overriding ARG defaults, stages that
build on earlier stages (`FROM base AS app`, names are case-insensitive), relative WORKDIRs, and `$VAR`
expansion from ENV and ARG. Nothing is executed; unknown or malformed lines are kept as they are.
"""

from __future__ import annotations

import re

from ..record import Record

_DIRECTIVE = re.compile(r"#\s*([a-zA-Z_]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
ROOT_USERS = ("root", "0")


class Instruction(Record):
    __slots__ = ("args", "end_line", "heredocs", "keyword", "line")

    def __init__(self, keyword: str, args: str, line: int, end_line: int, heredocs: list[str] | None = None):
        self.keyword = keyword  # upper case: FROM, RUN, USER, ...
        self.args = args  # the arguments, continuation lines joined
        self.line = line  # 1-based line where it starts
        self.end_line = end_line
        self.heredocs: list[str] = [] if heredocs is None else heredocs


class Stage(Record):
    __slots__ = (
        "args",
        "env",
        "healthcheck",
        "image",
        "index",
        "instructions",
        "line",
        "name",
        "parent",
        "user",
        "user_known",
        "user_line",
        "workdir",
    )

    def __init__(self, index: int, name: str | None, image: str, line: int,
                 instructions: list[Instruction] | None = None, parent: Stage | None = None, workdir: str = "/",
                 user: str | None = None, user_line: int | None = None, user_known: bool = True,
                 healthcheck: str | None = None, env: dict[str, str] | None = None,
                 args: dict[str, str] | None = None):
        self.index = index
        self.name = name
        self.image = image  # the base image, ARGs substituted
        self.line = line
        self.instructions: list[Instruction] = [] if instructions is None else instructions
        self.parent = parent  # the earlier stage this one is built FROM
        self.workdir = workdir
        self.user = user  # the last USER in effect (inherited from a parent stage)
        self.user_line = user_line
        self.user_known = user_known  # False when the USER names a variable with no value kamalguard can see
        self.healthcheck = healthcheck  # "NONE", or the command; None when never set
        self.env: dict[str, str] = {} if env is None else env
        self.args: dict[str, str] = {} if args is None else args  # this stage's own ARGs (they end with the stage)

    @property
    def base_image(self) -> str:
        """The image at the bottom of this stage's chain of parent stages."""
        stage = self
        while stage.parent is not None:
            stage = stage.parent
        return stage.image

    def ancestors(self) -> list[Stage]:
        """This stage and the stages it is built FROM, nearest first."""
        chain, stage = [], self
        while stage is not None:
            chain.append(stage)
            stage = stage.parent
        return chain

    @property
    def runs_as_root(self) -> bool | None:
        """True when the stage's user is root (no USER at all means root, unless the base image is a `nonroot`
        variant such as distroless' `:nonroot`); None when a variable the reader cannot see names the user."""
        if not self.user_known:
            return None
        if self.user is None:
            return "nonroot" not in self.base_image.lower()
        name = self.user.split(":", 1)[0].strip()
        return name in ROOT_USERS


class Dockerfile(Record):
    __slots__ = ("global_args", "stages")

    def __init__(self, stages: list[Stage], global_args: dict[str, str]):
        self.stages = stages
        self.global_args = global_args

    def stage(self, target: str | None = None) -> Stage | None:
        """The stage an image is built from: `target` (builder.target) when given, else the last one."""
        if target:
            return next((s for s in self.stages if s.name and s.name.lower() == target.lower()), None)
        return self.stages[-1] if self.stages else None


def expand(text: str, values: dict[str, str]) -> str:
    """Dockerfile variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        value = values.get(name)
        if match.group(2) == "-":
            return value if value else match.group(3)
        if match.group(2) == "+":
            return match.group(3) if value else ""
        return value or ""

    return _VAR.sub(replace, text)


def _unknown_variables(text: str, values: dict[str, str]) -> bool:
    """Does `text` use a variable that has no value here (and no default)?"""
    return any(not values.get(m.group(1) or m.group(4)) and m.group(2) != "-" for m in _VAR.finditer(text))


def _is_continued(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def instructions(text: str) -> list[Instruction]:
    """Logical instructions of a Dockerfile, with their line numbers."""
    lines = text.replace("\r\n", "\n").split("\n")
    escape = "\\"
    for line in lines:  # parser directives come first, before any other line
        directive = _DIRECTIVE.match(line)
        if not directive:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in ("`", "\\"):
            escape = directive.group(2)
    result: list[Instruction] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index
        parts = []
        while True:
            current = lines[index].rstrip()
            if not _is_continued(current, escape):
                parts.append(current)
                break
            parts.append(current[:-1])
            index += 1
            # comment and empty lines inside a continuation are skipped (BuildKit warns about empty ones)
            while index < len(lines) and (not lines[index].strip() or lines[index].strip().startswith("#")):
                index += 1
            if index >= len(lines):
                break
        joined = " ".join(p.strip() for p in parts if p.strip())
        keyword, _, args = joined.partition(" ")
        keyword = keyword.upper()
        heredocs = []
        for marker in _HEREDOC.finditer(args) if keyword in _HEREDOC_KEYWORDS else ():
            body = []
            index += 1
            while index < len(lines):
                candidate = lines[index].lstrip("\t") if marker.group(1) else lines[index]
                if candidate.rstrip() == marker.group(3):
                    break
                body.append(candidate)
                index += 1
            heredocs.append("\n".join(body))
        result.append(Instruction(keyword, args.strip(), start + 1, index + 1, heredocs))
        index += 1
    return result


def _pairs(args: str, legacy: bool = False) -> dict[str, str | None]:
    """ENV/ARG arguments: `A=1 B="two words"`, `ARG NAME OTHER` (no values), or the legacy `ENV A one value`."""
    import shlex

    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        words = args.split()
    if legacy and len(words) > 1 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) if "=" in w else (w, None) for w in words)


def parse(text: str, build_args: dict[str, str] | None = None) -> Dockerfile:
    """The Dockerfile's stages. `build_args` are the `--build-arg` values (Kamal's builder.args): they replace
    the defaults of the ARGs that declare them."""
    build_args = {str(k): str(v) for k, v in (build_args or {}).items()}
    stages: list[Stage] = []
    global_args: dict[str, str] = {}

    def declare(target: dict, args: str, visible: dict) -> None:
        for name, default in _pairs(args).items():
            if name in build_args:
                target[name] = build_args[name]
            elif default is not None:
                target[name] = expand(default, visible)
            elif name in global_args:  # `ARG NAME` in a stage takes the global default
                target[name] = global_args[name]
            else:
                target.setdefault(name, "")

    for instruction in instructions(text):
        keyword = instruction.keyword
        if keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            image = expand(words[0], global_args) if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((s for s in reversed(stages) if s.name and s.name.lower() == image.lower()), None)
            stage = Stage(len(stages), name, image, instruction.line, parent=parent)
            if parent is not None:
                stage.workdir, stage.user, stage.user_line = parent.workdir, parent.user, parent.user_line
                stage.user_known, stage.healthcheck, stage.env = parent.user_known, parent.healthcheck, dict(parent.env)
            stages.append(stage)
            continue
        if not stages:
            if keyword == "ARG":
                declare(global_args, instruction.args, global_args)
            continue
        stage = stages[-1]
        stage.instructions.append(instruction)
        values = {**stage.args, **stage.env}  # ENV wins over an ARG of the same name
        if keyword == "ARG":
            declare(stage.args, instruction.args, values)
        elif keyword == "WORKDIR":
            path = expand(instruction.args.strip().strip("\"'"), values)
            stage.workdir = path if path.startswith("/") else f"{stage.workdir.rstrip('/')}/{path}"
        elif keyword == "USER":
            stage.user = expand(instruction.args.strip(), values)
            stage.user_known = not _unknown_variables(instruction.args, values)
            stage.user_line = instruction.line
        elif keyword == "ENV":
            stage.env.update({k: expand(v or "", values) for k, v in _pairs(instruction.args, legacy=True).items()})
        elif keyword == "HEALTHCHECK":
            words = instruction.args.split()
            stage.healthcheck = "NONE" if words[:1] and words[0].upper() == "NONE" else instruction.args
    return Dockerfile(stages, global_args)
