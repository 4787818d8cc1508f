from ..base import Fix, example, rule
from .common import (
    DOCKER_RUN,
    cis,
    containers,
    deploy,
    fix_edits,
    option,
    option_path,
    owasp,
    switched_on,
    uncovered_paths,
    unknown,
)


@rule(
    id="KG101",
    slug="read-only-rootfs",
    severity="warning",
    family="hardening",
    summary="A container's root filesystem is writable (no `read-only: true` in its options)",
    references=[cis("5.13", "Ensure that the container's root filesystem is mounted as read only"),
                owasp("RULE #8: Set filesystem and volumes to read-only"),
                ("docker run --read-only", DOCKER_RUN + "#read-only")],
    fix="safe: add `read-only: true` together with KG102's tmpfs paths",
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              memory: 1g
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              read-only: true
              tmpfs:
                - /rails/tmp
                - /tmp
    """)),
)
def check(ctx):
    """Checks that every container Kamal starts mounts its root filesystem read-only: `read-only: true` in the
    `options:` of each role (the implicit `web` role of a plain host list included), each accessory, and
    kamal-proxy when `proxy.run` is written.

    ## Why
    With a writable root filesystem, an attacker who gets code execution in the app can drop tools, rewrite the
    app's code or its gems for the next request, and persist until the container is replaced. A read-only root
    turns each of those into a failed write; what the app must write goes to a tmpfs (memory, gone on restart)
    or to a volume you chose. CIS Docker Benchmark 1.6 §5.13; OWASP Docker Security Cheat Sheet, rule #8.

    ## How to fix
    Add `read-only: true` to the container's `options:` and give each path it writes a tmpfs (KG102 lists them:
    `<WORKDIR>/tmp` and `/tmp` for the app, per-image paths for accessories such as `/var/run/postgresql` for
    postgres):

    ```yaml
    servers:
      web:
        hosts: [192.0.2.10]
        options:
          read-only: true
          tmpfs: [/rails/tmp, /tmp]
    ```

    Volumes (root `volumes`, an accessory's `volumes`/`directories`, `VOLUME`s of the image) stay writable.

    ## Fix
    Safe: it adds `read-only: true` together with the `tmpfs:` entries KG102 would ask for, so the fixed config is
    consistent. A role written as a plain host list becomes a role map with `hosts:` first. The behaviour change
    is the point of the rule: the container can no longer write outside its tmpfs paths and volumes, so an app
    that writes elsewhere (a log file, an upload folder) fails until that path gets a volume or a tmpfs. No fix is
    offered when `read-only` is already written with another value (see KG115), or when ERB decides a mount or the
    Dockerfile (the tmpfs paths are then unknown).

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy keeps its state in the `kamal-proxy-config` volume Kamal
    mounts, so it runs read-only with a tmpfs on `/tmp` (where it buffers large requests).
    """
    for container in containers(ctx):
        found = option(container, "read-only")
        if found is not None:
            key, value = found
            if not (switched_on(value) or unknown(value)):
                ctx.report(option_path(container, key),
                           f"{container.label}: `{key}: {value}` does not make the root filesystem read-only: "
                           f"write `{key}: true`", container=container, at="value")
            continue
        missing = uncovered_paths(ctx, container)
        paths = f", with a tmpfs for {', '.join(missing)}" if missing else ""
        fix = None
        if missing is not None:
            fix = Fix("safe", "set read-only: true" + (f" and add tmpfs {', '.join(missing)}" if missing else ""),
                      "read-only: the container can no longer write outside its tmpfs paths and volumes",
                      fix_edits(container, sets={"read-only": True}, adds={"tmpfs": missing} if missing else None))
        ctx.report(option_path(container, "read-only"),
                   f"{container.label} runs with a writable root filesystem: add `read-only: true` to its "
                   f"options{paths}", fix=fix, container=container)
