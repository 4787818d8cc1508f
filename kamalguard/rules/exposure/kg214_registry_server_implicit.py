from ...source.scalars import ErbValue
from ..base import example, rule
from ..structural.kg005_missing_key import present
from .common import registry_of


@rule(
    id="KG214",
    slug="registry-server-implicit",
    severity="warning",
    summary="No registry.server: Kamal pushes the image to Docker Hub",
    family="exposure",
    references=[("Kamal registry configuration", "https://kamal-deploy.org/docs/configuration/docker-registry/"),
                ("Docker Hub: repository privacy",
                 "https://docs.docker.com/docker-hub/repos/settings/#visibility-settings"),
                ("kamal-lint: registry-without-explicit-server", "https://github.com/davafons/kamal-lint")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          username: myorg
          password:
            - KAMAL_REGISTRY_PASSWORD
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          server: registry.hub.docker.com
          username: myorg
          password:
            - KAMAL_REGISTRY_PASSWORD
    """),
)
def check(ctx):
    """Checks that `registry.server` is set when a registry is configured.

    Without it Kamal pushes the app image to Docker Hub, and Docker Hub creates a repository on first push as
    **public** unless your account's default says otherwise: the image, with your code and whatever the build
    copied into it, is then downloadable by anyone. Naming the registry makes the choice visible and reviewed.
    (An image that names a registry host itself is KG213.)

    ## How to fix
    Set `registry.server`: `ghcr.io`, your cloud's registry, or `registry.hub.docker.com` to keep Docker Hub on
    purpose (then make sure the repository is private).
    """
    registry = ctx.view.get(("registry",))
    image = ctx.view.get(("image",))
    if not isinstance(registry, dict) or present(registry.get("server")):
        return
    if isinstance(image, str) and (isinstance(image, ErbValue) or registry_of(image.strip())):
        return
    ctx.report(("registry", "server"), "registry.server is not set, so Kamal pushes the image to Docker Hub, where a "
                                       "new repository is public unless you changed the default: set registry.server "
                                       "(e.g. ghcr.io, or registry.hub.docker.com to keep Docker Hub on purpose)")
