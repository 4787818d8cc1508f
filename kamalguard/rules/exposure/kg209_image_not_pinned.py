from ...source.scalars import ErbValue
from ..base import example, rule
from ..hardening.common import cis, owasp
from .common import tag_and_digest


@rule(
    id="KG209",
    slug="image-not-pinned",
    severity="warning",
    summary="An accessory image is not pinned to a version (or to a digest)",
    family="exposure",
    references=[cis("4.2", "Ensure that containers use only trusted base images"),
                owasp("RULE #13 - Enhance Supply Chain Security"),
                ("Docker: pull an image by digest",
                 "https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        accessories:
          redis:
            image: redis:latest
            host: 192.0.2.10
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        accessories:
          redis:
            image: redis:7.4.1@sha256:4c7ba8c1a4a0d6b1b2a4fa6ad3e5b6f1e6b1f0b0f2e4f1c7c0d5b7d0b3a6e4c2
            host: 192.0.2.10
    """),
)
def check(ctx):
    """Checks each accessory's `image`: no tag, or `:latest`, is a warning; a tag without a digest is info.

    Kamal pulls an accessory's image when it boots or reboots it. Without a tag that is whatever `latest` is
    that day: a major version of the database can arrive with a server rebuild, and its data files may not
    open. A tag (`postgres:16.4`) pins the version, but tags can be moved (or the registry compromised); a
    digest (`postgres:16.4@sha256:...`) pins the exact bytes you tested.

    ## How to fix
    Write the version you run (`redis:7.4.1`), and add its digest for an exact pin:
    `docker buildx imagetools inspect redis:7.4.1` prints it. Update both deliberately, e.g. with Renovate or
    Dependabot.
    """
    for accessory in ctx.view.accessories():
        image = accessory.config.get("image")
        if not isinstance(image, str) or isinstance(image, ErbValue) or not image.strip():
            continue
        image = image.strip()
        tag, digest = tag_and_digest(image)
        path = (*accessory.path, "image")
        if digest:
            continue
        if tag is None or tag == "latest":
            what = "has no tag, so it is :latest" if tag is None else "is :latest"
            ctx.report(path, f"the image of {accessory.label}, {image}, {what}, which changes under you at the next "
                             f"boot: pin a version (and its digest), e.g. "
                             f"{_name(image, tag)}:<version>@sha256:<digest>",
                       container=accessory, at="value")
        else:
            ctx.report(path, f"the image of {accessory.label}, {image}, is pinned by tag only, and a tag can be moved: "
                             f"add its digest ({image}@sha256:...; `docker buildx imagetools inspect {image}` "
                             f"prints it)",
                       severity="info", container=accessory, at="value")


def _name(image: str, tag: str | None) -> str:
    return image[: -len(tag) - 1] if tag else image
