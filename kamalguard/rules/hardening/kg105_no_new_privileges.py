import re

from ..base import Fix, example, rule
from .common import (
    DOCKER_RUN,
    cis,
    containers,
    deploy,
    fix_edits,
    item_paths,
    option,
    option_path,
    owasp,
    unknown,
)

# compiled on first use (by the re module's cache): most configs set no security-opt
_SETTING = r"no-new-privileges(?:[=:](.*))?\Z"
_TRUE = {"1", "t", "true"}  # Go's strconv.ParseBool, which the Docker daemon uses
_FALSE = {"0", "f", "false"}


def no_new_privileges(value) -> bool | None:
    """True/False for a `no-new-privileges[:bool]` security option; None for any other option."""
    match = re.match(_SETTING, str(value).strip())
    if not match:
        return None
    flag = match.group(1)
    return True if flag is None else (flag.lower() in _TRUE if flag.lower() in _TRUE | _FALSE else None)


@rule(
    id="KG105",
    slug="no-new-privileges",
    severity="warning",
    family="hardening",
    summary="A container's processes can gain privileges (no `security-opt: [no-new-privileges]`)",
    references=[cis("5.26", "Ensure that the container is restricted from acquiring additional privileges"),
                owasp("RULE #4: Prevent in-container privilege escalation"),
                ("docker run --security-opt", DOCKER_RUN + "#security-opt")],
    fix="safe",
    failing=example(deploy("""
        accessories:
          cache:
            image: redis:7
            host: 192.0.2.20
            options:
              security-opt: label=type:svirt_apache_t
    """)),
    passing=example(deploy("""
        accessories:
          cache:
            image: redis:7
            host: 192.0.2.20
            options:
              security-opt:
                - no-new-privileges
    """)),
)
def check(ctx):
    """Checks that `security-opt` includes `no-new-privileges` (or `no-new-privileges:true`) in the options of
    every role (the implicit `web` role included), every accessory and kamal-proxy when `proxy.run` is written.

    ## Why
    Without it, a process in the container can gain privileges through setuid or setgid binaries (`su`,
    `sudo`, `passwd`, or one an attacker made executable) or file capabilities. With it, the kernel refuses
    every such gain for the container's whole process tree. Entrypoints that switch user with gosu or su-exec
    (the official database images) keep working: they drop privileges, they don't gain any.
    CIS Docker Benchmark 1.6 §5.26; OWASP Docker Security Cheat Sheet, rule #4.

    ## How to fix
    ```yaml
    options:
      security-opt:
        - no-new-privileges
    ```

    ## Fix
    Safe: it adds `no-new-privileges` to `security-opt` (creating it; a scalar becomes a list; a role written as a
    host list becomes a role map). Behaviour change: setuid binaries such as `sudo` stop working inside the
    container. When `no-new-privileges:false` is written, the finding asks to remove the `:false` and no fix is
    offered: that was someone's choice.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy never gains privileges.
    """
    for container in containers(ctx):
        found = option(container, "security-opt")
        entries = item_paths(option_path(container, found[0]), found[1]) if found else []
        if any(unknown(value) for _, value in entries):
            continue
        settings = [(path, no_new_privileges(value)) for path, value in entries]
        if any(flag is True for _, flag in settings):
            continue
        turned_off = [path for path, flag in settings if flag is False]
        if turned_off:
            ctx.report(turned_off[0], f"{container.label} turns no-new-privileges off: write `no-new-privileges` "
                       f"(or remove the `:false`)", container=container, at="value")
            continue
        ctx.report(option_path(container, found[0] if found else "security-opt"),
                   f"{container.label} lets its processes gain privileges through setuid binaries: add "
                   f"`no-new-privileges` to `security-opt` in its options",
                   fix=Fix("safe", "add no-new-privileges to security-opt",
                           "no-new-privileges: setuid binaries such as sudo no longer raise privileges",
                           fix_edits(container, adds={"security-opt": ["no-new-privileges"]})),
                   container=container)
