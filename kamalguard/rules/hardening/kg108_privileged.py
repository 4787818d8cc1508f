from ...fix.edits import RemoveKey
from ..base import Fix, example, rule
from .common import DOCKER_RUN, cis, containers, deploy, option, option_path, owasp, switched_on


@rule(
    id="KG108",
    slug="privileged",
    severity="error",
    family="hardening",
    summary="A container runs `privileged`: root on the host",
    references=[cis("5.5", "Ensure that privileged containers are not used"),
                owasp("RULE #3: Limit capabilities"),
                ("docker run --privileged", DOCKER_RUN + "#privileged")],
    fix="unsafe: remove",
    failing=example(deploy("""
        accessories:
          monitor:
            image: grafana/alloy:latest
            host: 192.0.2.20
            options:
              privileged: true
    """)),
    passing=example(deploy("""
        accessories:
          monitor:
            image: grafana/alloy:latest
            host: 192.0.2.20
            options:
              cap-drop: [ALL]
    """)),
)
def check(ctx):
    """Checks that no role, accessory or kamal-proxy (`proxy.run.options`) sets `privileged` (`true`, or an empty
    value, which Kamal also renders as the bare `--privileged`).

    ## Why
    A privileged container has every capability, every host device, no seccomp or AppArmor profile, and can
    mount the host's disks: escaping to root on the host takes one command. CIS Docker Benchmark 1.6 §5.5;
    OWASP Docker Security Cheat Sheet, rule #3.

    ## How to fix
    Remove `privileged`. Give the container only what it needs: a device (`device: /dev/fuse`), a capability
    (`cap-add`, see KG104), a read-only bind mount of what a monitoring agent reads (`/proc:/host/proc:ro`).

    ## Fix
    Unsafe: it removes `privileged`, which changes what the container may do, and something in it may depend on
    that. Behaviour change: the container loses host devices and the extra capabilities.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy never needs it.
    """
    for container in containers(ctx):
        found = option(container, "privileged")
        if found is None or not switched_on(found[1]):
            continue
        ctx.report(option_path(container, found[0]),
                   f"{container.label} runs privileged, which gives it root on the host: remove `{found[0]}` and "
                   f"grant only the device or capability it needs",
                   fix=Fix("unsafe", f"remove {found[0]}",
                           "privileged: the container loses host devices and extra capabilities",
                           (RemoveKey(container.options_path, found[0]),)),
                   container=container)
