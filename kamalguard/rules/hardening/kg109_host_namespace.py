from ..base import example, rule
from .common import DOCKER_RUN, cis, containers, deploy, item_paths, option, option_path, owasp, unknown

NAMESPACES = {
    "network": ("5.10", "it can bind any host port and reach services that listen on the host's localhost"),
    "pid": ("5.16", "it can see, signal and trace every process on the host"),
    "ipc": ("5.17", "it can read and write the host processes' shared memory"),
    "uts": ("5.21", "it can change the host's name"),
    "userns": ("5.31", "user-namespace remapping is off for it, so its root is the host's root"),
}


@rule(
    id="KG109",
    slug="host-namespace",
    severity="error",
    family="hardening",
    summary="A container shares a namespace with the host (network, pid, ipc, uts or userns set to `host`)",
    references=[cis("5.10", "Ensure that the host's network namespace is not shared"),
                cis("5.16", "Ensure that the host's process namespace is not shared"),
                cis("5.17", "Ensure that the host's IPC namespace is not shared"),
                cis("5.21", "Ensure that the host's UTS namespace is not shared"),
                cis("5.31", "Ensure that the host's user namespaces are not shared"),
                owasp("RULE #5: Be mindful of inter-container connectivity"),
                ("docker run --network", DOCKER_RUN + "#network")],
    failing=example(deploy("""
        accessories:
          exporter:
            image: prom/node-exporter:latest
            host: 192.0.2.20
            options:
              pid: host
    """)),
    passing=example(deploy("""
        accessories:
          exporter:
            image: prom/node-exporter:latest
            host: 192.0.2.20
            options:
              volume: /proc:/host/proc:ro
    """)),
)
def check(ctx):
    """Checks that no role, accessory or kamal-proxy (`proxy.run.options`) sets `network` (or its alias `net`),
    `pid`, `ipc`, `uts` or `userns` to `host`.

    ## Why
    Each namespace is a wall between the container and the host. `network: host` puts the container on the
    host's interfaces (and past Docker's port publishing, so firewalls configured for published ports don't
    apply); `pid: host` shows it every host process; `ipc: host` shares shared memory; `uts: host` lets it set
    the host name; `userns: host` turns user remapping off. CIS Docker Benchmark 1.6 §5.10, §5.16, §5.17, §5.21,
    §5.31.

    For roles there is a second problem: Kamal connects them to its own `kamal` network, and Docker refuses to
    combine it with `network: host`.

    ## How to fix
    Remove the option. A monitoring agent that reads host metrics can usually take read-only bind mounts
    instead (`/proc:/host/proc:ro`, `/sys:/host/sys:ro`); give it what it reads, not the namespace.

    ## Fix
    None: removing it changes what the container can reach, which only a person can judge.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy publishes its ports and needs none of the host's
    namespaces.
    """
    for container in containers(ctx):
        for name, (section, shares) in NAMESPACES.items():
            found = option(container, name)
            if found is None:
                continue
            for path, value in item_paths(option_path(container, found[0]), found[1]):
                if unknown(value) or str(value).strip().lower() != "host":
                    continue
                ctx.report(path, f"{container.label} shares the host's {name} namespace (`{found[0]}: host`, "
                           f"CIS §{section}): {shares}; remove it", container=container, at="value")
