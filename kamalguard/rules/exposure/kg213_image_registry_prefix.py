from ...kamal.view import slash
from ...source.scalars import ErbValue
from ..base import example, rule
from .common import registry_of


@rule(
    id="KG213",
    slug="image-registry-prefix",
    severity="error",
    summary="The image names a registry host, which Kamal does not expect: it prefixes registry.server itself",
    family="exposure",
    references=[("Kamal registry configuration", "https://kamal-deploy.org/docs/configuration/docker-registry/"),
                ("kamal-lint: image-registry-mismatch", "https://github.com/davafons/kamal-lint")],
    failing=example("""
        service: myapp
        image: ghcr.io/myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          server: ghcr.io
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
          server: ghcr.io
          username: myorg
          password:
            - KAMAL_REGISTRY_PASSWORD
    """),
)
def check(ctx):
    """Checks that `image` (and an accessory's `image` when the accessory has its own `registry`) does not start
    with a registry host (`ghcr.io/`, `registry.example.com:5000/`, `localhost/`).

    Kamal builds the repository name as `<registry.server>/<image>`, and logs in to `registry.server` (Docker
    Hub when it is not set). So `image: ghcr.io/org/app` with `server: ghcr.io` pushes to
    `ghcr.io/ghcr.io/org/app`; with another server it pushes into a repository named after the wrong registry;
    and with no server Kamal logs in to Docker Hub but pushes to ghcr.io, which fails. (kamal-lint asks for the
    opposite, `image` starting with the server; Kamal 2.11 itself does not strip it.)

    ## How to fix
    Put the registry host in `registry.server` and leave it out of `image`:
    `image: org/app`, `registry: {server: ghcr.io, ...}`.
    """
    view = ctx.view
    targets = [(("image",), ("registry",), None)]
    targets += [((*a.path, "image"), (*a.path, "registry"), a) for a in view.accessories()
                if isinstance(a.config.get("registry"), dict)]
    for image_path, registry_path, container in targets:
        image = view.get(image_path)
        server = view.get((*registry_path, "server"))
        if not isinstance(image, str) or isinstance(image, ErbValue) or isinstance(server, ErbValue):
            continue
        server = str(server).strip().rstrip("/") if server is not None else ""
        prefix = registry_of(image.strip())
        if server and image.startswith(server + "/"):
            rest = image[len(server) + 1:]
            message = (f"{slash(image_path)} starts with {slash(registry_path)}/server ({server}), and Kamal prefixes "
                       f"the server itself, so it pushes to {server}/{image}: write {slash(image_path)}: {rest}")
        elif prefix and server:
            message = (f"{slash(image_path)} names the registry {prefix} but {slash(registry_path)}/server is "
                       f"{server}; Kamal pushes to {server}/{image}: drop the host from the image, and set the "
                       f"server to the registry you mean")
        elif prefix:
            rest = image.strip()[len(prefix) + 1:]
            message = (f"{slash(image_path)} names the registry {prefix}, but with no {slash(registry_path)}/server "
                       f"Kamal logs in to Docker Hub and the push fails: set {slash(registry_path)}/server: {prefix} "
                       f"and {slash(image_path)}: {rest}")
        else:
            continue
        ctx.report(image_path, message, container=container, at="value")
