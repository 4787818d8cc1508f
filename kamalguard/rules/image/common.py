"""What the image rules share: the Dockerfile as a document findings can point into."""

from __future__ import annotations

from ...kamal.build import FOUND, Build, build


def dockerfile(ctx) -> Build | None:
    """The build, when its Dockerfile was found and read (with at least one stage); else None."""
    image = build(ctx)
    if image.dockerfile_state != FOUND or image.final_stage is None:
        return None
    return image


def report_line(ctx, image: Build, line: int, message: str, **kwargs):
    """A finding at a line of the Dockerfile."""
    return ctx.report_span(ctx.file_document(image.dockerfile_path), 0, 0, message, line=line, column=1, **kwargs)
