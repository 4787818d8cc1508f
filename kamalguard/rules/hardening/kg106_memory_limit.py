from ..base import Fix, example, rule
from .common import (
    MIN_MEMORY,
    cis,
    containers,
    deploy,
    fix_edits,
    option,
    option_path,
    owasp,
    parse_size,
    show_size,
    unknown,
)

FALLBACK = "1g"  # the unsafe fix's guess when the policy gives no default


@rule(
    id="KG106",
    slug="memory-limit",
    severity="warning",
    family="hardening",
    summary="A container has no memory limit, an invalid one, or one above the policy maximum",
    references=[cis("5.11", "Ensure that the memory usage for containers is limited"),
                owasp("RULE #7: Limit resources"),
                ("docker run: user memory constraints", "https://docs.docker.com/engine/containers/resource_constraints/#memory")],
    fix="safe when the policy gives a default; otherwise unsafe, with 1g",
    settings={"default": None, "maximum": None},
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cpus: 2
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              memory: 1g
    """)),
)
def check(ctx):
    """Checks that every role (the implicit `web` role included), accessory and kamal-proxy (`proxy.run.options`)
    sets `memory:`, that it is a size Docker accepts, and that it is within the policy's `maximum`.

    Docker reads sizes as a number (decimals allowed) with an optional unit: `b`, `k`, `m`, `g`, `t`, `p` in any
    case, optionally followed by `b` or `ib` (`512m`, `1.5g`, `2GB`, `1GiB`); units are binary (1g = 1024m). A
    bare number is bytes. `0` means no limit, and the daemon refuses less than 6m.

    Settings (`.kamalguard.yml`, `rules: {KG106: ...}`): `default`, the limit the fix sets, and `maximum`.

    ## Why
    Without a limit, one leaking worker or one huge request can take all the host's memory: the kernel's OOM
    killer then picks a victim, maybe your database or kamal-proxy, and every app on the host goes down. With a
    limit only the container that overran restarts. CIS Docker Benchmark 1.6 §5.11; OWASP Docker Security Cheat
    Sheet, rule #7.

    ## How to fix
    Measure the container's peak (`docker stats`), add headroom, and set it; pair it with `memory-swap` (KG107):

    ```yaml
    options:
      memory: 1g
      memory-swap: 1g
    ```

    ## Fix
    Adds `memory:` when it is missing. Safe when the policy gives `default` (the team chose the value);
    otherwise unsafe with `1g`, a guess. Behaviour change: the container is killed and restarted when it uses
    more. Invalid or too large values are reported without a fix.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy is small (tens of MB), and a limit keeps a flood of
    connections from taking the host down with it.
    """
    default = ctx.setting("default")
    maximum = ctx.setting("maximum")
    limit = parse_size(maximum) if maximum is not None else None
    for container in containers(ctx):
        found = option(container, "memory")
        if found is None:
            value = FALLBACK if default is None else default
            safety = "unsafe" if default is None else "safe"
            source = "a guess; set rules: KG106: default in .kamalguard.yml" if default is None else "the policy"
            ctx.report(option_path(container, "memory"),
                       f"{container.label} has no memory limit, so it can take all the host's memory: add "
                       f"`memory:` to its options (e.g. `memory: {value}`)",
                       fix=Fix(safety, f"set memory: {value} ({source})",
                               f"memory: the container is killed when it uses more than {value}",
                               fix_edits(container, sets={"memory": value})),
                       container=container)
            continue
        key, value = found
        if unknown(value):
            continue
        size = parse_size(value)
        path = option_path(container, key)
        if size is None:
            ctx.report(path, f"{container.label}: `{key}: {value}` is not a size Docker accepts: write a number "
                       f"with a unit such as 512m or 1g", severity="error", container=container, at="value")
        elif size == 0:
            ctx.report(path, f"{container.label}: `{key}: {value}` means no memory limit: set a real limit such "
                       f"as 1g", container=container, at="value")
        elif size < MIN_MEMORY:
            unit = f" (a bare number is bytes: did you mean {value}m?)" if str(value).isdigit() else ""
            ctx.report(path, f"{container.label}: `{key}: {value}` is below the 6m Docker accepts{unit}: set a "
                       f"limit such as 512m", severity="error", container=container, at="value")
        elif limit is not None and size > limit:
            ctx.report(path, f"{container.label}: `{key}: {value}` is above the policy maximum of "
                       f"{show_size(limit)}: lower it, or raise rules: KG106: maximum", container=container,
                       at="value")
