from ..base import example, rule
from .common import DOCKER_RUN, cis, containers, deploy, option, option_path, owasp, unknown


def is_root(value) -> bool:
    """`root`, `0`, or either with a group (`0:0`, `root:staff`)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == 0
    return isinstance(value, str) and value.strip().split(":", 1)[0] in ("root", "0")


@rule(
    id="KG116",
    slug="root-user",
    severity="warning",
    family="hardening",
    summary="A container is told to run as root (`user: root` or `user: 0`)",
    references=[cis("4.1", "Ensure that a user for the container has been created"),
                owasp("RULE #2: Set a user"),
                ("docker run --user", DOCKER_RUN + "#user")],
    failing=example(deploy("""
        accessories:
          backup:
            image: eeshugerman/postgres-backup-s3:16
            host: 192.0.2.20
            options:
              user: "0:0"
    """)),
    passing=example(deploy("""
        accessories:
          backup:
            image: eeshugerman/postgres-backup-s3:16
            host: 192.0.2.20
            options:
              user: "1000:1000"
    """)),
)
def check(ctx):
    """Checks that no role, accessory or kamal-proxy (`proxy.run.options`) sets `user` to root: `root` or `0`,
    with or without a group (`0:0`, `root:root`).

    It looks only at `user:` in the options, which overrides the image's `USER`; an image that runs as root
    because its Dockerfile has no `USER` is a Dockerfile matter.

    ## Why
    Root in the container is root on the host's kernel: together with any other weakness (a capability left, a
    mounted path, a kernel bug), it is what turns a compromised app into a compromised host. Rails' generated
    Dockerfile already runs as `rails` (uid 1000); `user: root` undoes that. CIS Docker Benchmark 1.6 §4.1; OWASP
    Docker Security Cheat Sheet, rule #2.

    ## How to fix
    Remove `user:` to keep the image's own user, or name an unprivileged one (`user: "1000:1000"`) and make the
    paths it writes belong to it (a volume's owner, a tmpfs' `uid=` option).

    ## Fix
    None: whatever made someone switch to root (file ownership on a volume, usually) needs fixing first.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy's image runs as its own user.
    """
    for container in containers(ctx):
        found = option(container, "user")
        if found is None or unknown(found[1]) or not is_root(found[1]):
            continue
        ctx.report(option_path(container, found[0]),
                   f"{container.label} runs as root (`{found[0]}: {found[1]}`): remove it to keep the image's user, "
                   f"or set an unprivileged uid:gid such as 1000:1000", container=container, at="value")
