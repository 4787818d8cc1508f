import posixpath

from ..base import example, rule
from .common import (
    cis,
    containers,
    deploy,
    mounts,
    normal_path,
    option,
    option_path,
    owasp,
    switched_on,
    unknown,
    volume_spec,
)


def exposes_socket(source: str | None) -> bool:
    """Does mounting this host path give the container the Docker socket (the socket itself, or /run or / that
    hold it)?"""
    if not source:
        return False
    path = normal_path(source)
    return posixpath.basename(path) == "docker.sock" or path in ("/", "/run")


def socket(source: str) -> str:
    return "the Docker socket" if posixpath.basename(normal_path(source)) == "docker.sock" else \
        "which holds the Docker socket"


ADVICE = ("whoever controls the container controls Docker on the host, i.e. root: remove the mount, or give the "
          "tool a socket proxy that allows only the API calls it needs")


@rule(
    id="KG110",
    slug="docker-socket",
    severity="error",
    family="hardening",
    summary="The Docker socket is mounted into a container",
    references=[cis("5.32", "Ensure that the Docker socket is not mounted inside any containers"),
                owasp("RULE #1: Do not expose the Docker daemon socket (even to the containers)")],
    failing=example(deploy("""
        accessories:
          logs:
            image: timberio/vector:latest
            host: 192.0.2.20
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock:ro
    """)),
    passing=example(deploy("""
        accessories:
          logs:
            image: timberio/vector:latest
            host: 192.0.2.20
            volumes:
              - /var/log:/host/var/log:ro
    """)),
)
def check(ctx):
    """Checks that no container gets the Docker socket: through options `volume` or `mount`, the root `volumes`
    (mounted into every role), an accessory's `volumes` or `directories`, or Docker 28's `use-api-socket`
    option. Mounting `/`, `/run` or `/var/run` counts too: the socket is inside them. Read-only (`:ro`) mounts
    count: the socket is an API, and `:ro` does not stop anyone from calling it.

    ## Why
    The Docker API can start a privileged container with the host's disk mounted: access to the socket is root
    on the host. A log shipper or a dashboard that only reads container metadata gets the same power as the
    host's administrator, and so does anyone who breaks into it. CIS Docker Benchmark 1.6 §5.32; OWASP Docker
    Security Cheat Sheet, rule #1.

    ## How to fix
    Remove the mount. When a tool truly needs the Docker API, put a socket proxy in front of it (for example
    tecnativa/docker-socket-proxy) that allows only the read-only endpoints it uses, and point the tool at the
    proxy (`DOCKER_HOST=tcp://docker-proxy:2375`).

    ## Fix
    None: the container stops working without the API, so the change needs a person.

    ## kamal-proxy
    Covered when `proxy.run.options` mounts something: kamal-proxy never needs the socket.
    """
    found_any = containers(ctx)
    for container in found_any:
        for mount in mounts(ctx, container):
            if mount.path[:1] == ("volumes",) or mount.unknown or not exposes_socket(mount.source):
                continue
            ctx.report(mount.path, f"{container.label} mounts {mount.source} ({socket(mount.source)}): {ADVICE}",
                       container=container, at="value")
        use = option(container, "use-api-socket")
        if use is not None and switched_on(use[1]):
            ctx.report(option_path(container, use[0]),
                       f"{container.label} sets `{use[0]}`, which mounts the Docker socket: {ADVICE}",
                       container=container)
    roles = [c.name for c in found_any if c.kind == "role"]
    volumes = ctx.view.get(("volumes",))
    if not roles or not isinstance(volumes, list):
        return
    for index, entry in enumerate(volumes):
        if isinstance(entry, str) and not unknown(entry) and exposes_socket(volume_spec(entry)[0]):
            source = volume_spec(entry)[0]
            ctx.report(("volumes", index), f"the root `volumes` mount {source} ({socket(source)}) into every role "
                       f"({', '.join(roles)}): {ADVICE}", at="value")
