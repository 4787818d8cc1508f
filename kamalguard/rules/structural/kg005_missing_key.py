import re

from ...source.scalars import ErbValue
from ..base import example, rule
from . import schema

_LOCAL_REGISTRY = re.compile(r"^localhost[:$]", re.M)  # Kamal's own test: a port is needed to count as local


def present(value) -> bool:
    """ActiveSupport's `present?`: not nil, not blank text, not an empty list or hash."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip()) or isinstance(value, ErbValue)
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def local_registry(registry) -> bool:
    server = registry.get("server") if isinstance(registry, dict) else None
    return isinstance(server, str) and bool(_LOCAL_REGISTRY.search(server))


@rule(
    id="KG005",
    slug="missing-key",
    severity="error",
    summary="A setting Kamal requires is missing or empty",
    references=[("Kamal configuration reference", "https://kamal-deploy.org/docs/configuration/overview/"),
                ("Kamal registry configuration", "https://kamal-deploy.org/docs/configuration/docker-registry/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          username: myorg
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          username: myorg
          password:
            - KAMAL_REGISTRY_PASSWORD
        builder:
          arch: amd64
    """),
)
def check(ctx):
    """Checks that the settings Kamal 2.11 requires are present and not blank: `service`, `image`, `registry`
    with `username` and `password` (unless `registry.server` is `localhost:PORT`, which needs none),
    `builder.arch`, `servers` or `accessories`, and the keys the schema marks required inside sections.

    Kamal reports only the first one missing, sometimes under a misleading name.

    ## How to fix
    Add the setting. Passwords belong in `.kamal/secrets`, named in the config: `password: [KAMAL_REGISTRY_PASSWORD]`.
    """
    for error in schema.errors(ctx):
        if error.kind == "missing":
            ctx.report(error.path, error.message)
    view = ctx.view
    registry = view.get(("registry",))
    for key, why in (("service", "it names every container"), ("registry", "Kamal pushes and pulls the image")):
        if not present(view.get((key,))):
            ctx.report((key,), f"`{key}` is required ({why}): add it at the top level")
    if not present(view.get(("image",))) and not local_registry(registry):
        ctx.report(("image",), "`image` is required (the image name to build and push): add it at the top level")
    if view.get(("servers",)) is None and not present(view.get(("accessories",))):
        ctx.report(("servers",), "`servers` is required: list the hosts to deploy to (or define accessories)")
    arch_reported = any(e.path == ("builder", "arch") for e in schema.errors(ctx))
    if not present(view.get(("builder", "arch"))) and not arch_reported:
        ctx.report(("builder", "arch"), "builder/arch is required (Kamal: \"Builder arch not set\"): "
                   "set `arch: amd64`, or a list such as [amd64, arm64]")
    accessories = view.get(("accessories",))
    registries = [("registry",)] + [("accessories", name, "registry") for name, acc in
                                    (accessories.items() if isinstance(accessories, dict) else ())
                                    if isinstance(acc, dict) and present(acc.get("registry"))]
    for path in registries:
        config = view.get(path)
        if not isinstance(config, dict) and path != ("registry",):
            continue
        if local_registry(config):
            continue
        for key in ("username", "password"):
            if not present(config.get(key) if isinstance(config, dict) else None):
                where = "/".join(path)
                ctx.report((*path, key), f"{where}/{key}: is required unless {where}/server is localhost:PORT; "
                           f"set it (a password as a secret name: `password: [KAMAL_REGISTRY_PASSWORD]`)")
