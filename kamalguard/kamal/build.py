"""What Kamal builds: the Dockerfile named by builder.dockerfile, its build context and .dockerignore.

Kamal runs `docker build --file <builder.dockerfile> <builder.context>` from the project root, so the
Dockerfile path is relative to the root (default `Dockerfile`) and the context defaults to the root too.
BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile first, then `.dockerignore` in the context.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ..source.dockerfile import Dockerfile, Stage, parse
from ..source.scalars import ErbValue


@dataclass
class Build:
    dockerfile_path: str  # relative to the project root
    context: str
    target: str | None
    dockerfile: Dockerfile | None  # None when the file is missing (or ERB names it)
    dockerignore_path: str | None  # the ignore file BuildKit would use, None when there is none
    dockerignore: str | None

    @property
    def final_stage(self) -> Stage | None:
        return self.dockerfile.stage(self.target) if self.dockerfile else None


def _setting(view, key: str, default: str | None) -> str | None:
    value = view.get(("builder", key))
    if value is None or isinstance(value, ErbValue) or not isinstance(value, str):
        return default
    return value


def build(ctx) -> Build:
    """The build of the checked config, read once per check."""
    if "build" not in ctx.cache:
        project = ctx.project
        context = posixpath.normpath(_setting(ctx.view, "context", ".") or ".")
        dockerfile_path = posixpath.normpath(_setting(ctx.view, "dockerfile", "Dockerfile") or "Dockerfile")
        text = project.read(dockerfile_path) if project is not None else None
        ignore_path = None
        for candidate in (f"{dockerfile_path}.dockerignore", posixpath.join(context, ".dockerignore")):
            if project is not None and project.read(posixpath.normpath(candidate)) is not None:
                ignore_path = posixpath.normpath(candidate)
                break
        ctx.cache["build"] = Build(
            dockerfile_path=dockerfile_path,
            context=context,
            target=_setting(ctx.view, "target", None),
            dockerfile=parse(text) if text is not None else None,
            dockerignore_path=ignore_path,
            dockerignore=project.read(ignore_path) if ignore_path else None,
        )
    return ctx.cache["build"]
