"""A careful Dockerfile reader: stages, and what each stage ends up with (WORKDIR, USER, ENV, HEALTHCHECK).

It follows the Dockerfile reference: parser directives (`# escape=`), line continuations, comment lines
inside continuations, heredocs (`RUN <<EOF ... EOF`), global ARGs substituted into FROM, stages that build
on earlier stages (`FROM base AS app`), relative WORKDIRs and `$VAR` expansion from ENV and ARG.
Nothing is executed; unknown or malformed lines are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"#\s*([a-zA-Z_]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, USER, ...
    args: str  # the arguments, continuation lines joined
    line: int  # 1-based line where it starts
    end_line: int
    heredocs: list[str] = field(default_factory=list)


@dataclass
class Stage:
    index: int
    name: str | None
    image: str  # the base image, ARGs substituted
    line: int
    instructions: list[Instruction] = field(default_factory=list)
    parent: Stage | None = None  # the earlier stage this one is built FROM
    workdir: str = "/"
    user: str | None = None  # the last USER in effect (inherited from a parent stage)
    user_line: int | None = None
    healthcheck: str | None = None  # "NONE", or the command; None when never set
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Dockerfile:
    stages: list[Stage]
    global_args: dict[str, str]

    def stage(self, target: str | None = None) -> Stage | None:
        """The stage an image is built from: `target` (builder.target) when given, else the last one."""
        if target:
            return next((s for s in self.stages if s.name == target), None)
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
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index
        parts = []
        while True:
            current = lines[index].rstrip()
            if current.endswith(escape) and not current.endswith(escape * 2):
                parts.append(current[:-1])
                index += 1
                while index < len(lines) and lines[index].strip().startswith("#"):
                    index += 1  # comment lines inside a continuation are dropped
                if index >= len(lines):
                    break
                continue
            parts.append(current)
            break
        joined = " ".join(p.strip() for p in parts)
        keyword, _, args = joined.partition(" ")
        heredocs = []
        for marker in _HEREDOC.finditer(args):
            body = []
            index += 1
            while index < len(lines):
                candidate = lines[index].lstrip("\t") if marker.group(1) else lines[index]
                if candidate.strip() == marker.group(3):
                    break
                body.append(lines[index])
                index += 1
            heredocs.append("\n".join(body))
        result.append(Instruction(keyword.upper(), args.strip(), start + 1, index + 1, heredocs))
        index += 1
    return result


def _pairs(args: str) -> dict[str, str]:
    """ENV/ARG arguments: `A=1 B="two words"`, or the legacy `ENV A one value`."""
    import shlex

    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        words = args.split()
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])} if len(words) > 1 else {words[0]: ""}
    return dict(w.split("=", 1) if "=" in w else (w, "") for w in words)


def parse(text: str) -> Dockerfile:
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for instruction in instructions(text):
        keyword = instruction.keyword
        if keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            image = expand(words[0], global_args) if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((s for s in stages if s.name and s.name == image), None)
            stage = Stage(len(stages), name, image, instruction.line, parent=parent)
            if parent is not None:
                stage.workdir, stage.user, stage.user_line = parent.workdir, parent.user, parent.user_line
                stage.healthcheck, stage.env = parent.healthcheck, dict(parent.env)
            stages.append(stage)
            continue
        if not stages:
            if keyword == "ARG":
                global_args.update(_pairs(instruction.args))
            continue
        stage = stages[-1]
        stage.instructions.append(instruction)
        values = {**global_args, **stage.env}
        if keyword == "WORKDIR":
            path = expand(instruction.args.strip().strip("\"'"), values)
            stage.workdir = path if path.startswith("/") else f"{stage.workdir.rstrip('/')}/{path}"
        elif keyword == "USER":
            stage.user = expand(instruction.args.strip(), values)
            stage.user_line = instruction.line
        elif keyword == "ENV":
            stage.env.update({k: expand(v, values) for k, v in _pairs(instruction.args).items()})
        elif keyword == "HEALTHCHECK":
            words = instruction.args.split()
            stage.healthcheck = "NONE" if words[:1] and words[0].upper() == "NONE" else instruction.args
    return Dockerfile(stages, global_args)
