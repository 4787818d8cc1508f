from ..base import Fix, example, rule
from .common import (
    cis,
    containers,
    deploy,
    fix_edits,
    option,
    option_path,
    owasp,
    parse_size,
    unknown,
)


@rule(
    id="KG107",
    slug="memory-swap",
    severity="warning",
    family="hardening",
    summary="A container with a memory limit can also use swap (`memory-swap` missing, larger than memory, or -1)",
    references=[cis("5.11", "Ensure that the memory usage for containers is limited"),
                owasp("RULE #7: Limit resources"),
                ("Docker: --memory-swap details",
                 "https://docs.docker.com/engine/containers/resource_constraints/#--memory-swap-details")],
    fix="safe when memory is set and memory-swap missing; unsafe when memory-swap is written",
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
              memory: 1g
              memory-swap: 1g
    """)),
)
def check(ctx):
    """Checks, for every role, accessory and kamal-proxy (`proxy.run.options`) that sets `memory:`, that
    `memory-swap` equals it (no swap), and that it is never lower than `memory` (Docker refuses to start the
    container then). `memory-swap` without `memory` is reported too: Docker refuses it.

    Containers without `memory:` are KG106's business; this rule says nothing about them, nor about an
    invalid `memory:` value.

    ## Why
    `memory-swap` is memory plus swap. Left unset, Docker lets the container use as much swap as its memory
    limit, so a leaking container does not die at its limit: it slows down, and the whole host with it, as it
    swaps. `-1` means unlimited swap. Equal values mean no swap: the container is killed at its limit and
    restarted. CIS Docker Benchmark 1.6 §5.11; OWASP Docker Security Cheat Sheet, rule #7.

    ## How to fix
    ```yaml
    options:
      memory: 1g
      memory-swap: 1g
    ```

    ## Fix
    When `memory-swap` is missing: safe, it sets `memory-swap` to the `memory` value (the policy's own value, in
    a sense: the one you wrote). When it is written with another value: unsafe, it replaces it. Behaviour
    change: the container can no longer swap; it is killed at its memory limit instead.

    ## kamal-proxy
    Covered when `proxy.run.options` sets `memory`.
    """
    for container in containers(ctx):
        memory = option(container, "memory")
        swap = option(container, "memory-swap")
        if memory is None:
            if swap is not None and not unknown(swap[1]):
                ctx.report(option_path(container, swap[0]),
                           f"{container.label} sets `{swap[0]}` without `memory`, which Docker refuses: add "
                           f"`memory:` with the same value", severity="error", container=container)
            continue
        if unknown(memory[1]) or not parse_size(memory[1]):
            continue
        wanted = memory[1]
        size = parse_size(wanted)
        note = "memory-swap: the container can no longer swap; it is killed at its memory limit instead"
        if swap is None:
            ctx.report(option_path(container, "memory-swap"),
                       f"{container.label} has a memory limit but may swap as much again: add "
                       f"`memory-swap: {wanted}` (equal to memory: no swap) to its options",
                       fix=Fix("safe", f"set memory-swap: {wanted}", note,
                               fix_edits(container, sets={"memory-swap": wanted})),
                       container=container)
            continue
        key, value = swap
        if unknown(value):
            continue
        swap_size = -1 if str(value).strip() == "-1" else parse_size(value)
        path = option_path(container, key)
        replace = Fix("unsafe", f"set memory-swap: {wanted}", note, fix_edits(container, sets={key: wanted}))
        if swap_size is None:
            ctx.report(path, f"{container.label}: `{key}: {value}` is not a size Docker accepts: write "
                       f"`{key}: {wanted}` (equal to memory: no swap)", severity="error", container=container,
                       at="value")
        elif swap_size == -1:
            ctx.report(path, f"{container.label}: `{key}: -1` allows unlimited swap: write `{key}: {wanted}` "
                       f"(equal to memory: no swap)", fix=replace, container=container, at="value")
        elif swap_size == 0:
            ctx.report(path, f"{container.label}: `{key}: {value}` is ignored, so the container may swap as much "
                       f"as its memory: write `{key}: {wanted}`", fix=replace, container=container, at="value")
        elif swap_size < size:
            ctx.report(path, f"{container.label}: `{key}: {value}` is lower than `memory: {wanted}`, and Docker "
                       f"refuses to start the container: write `{key}: {wanted}`", fix=replace, severity="error",
                       container=container, at="value")
        elif swap_size > size:
            ctx.report(path, f"{container.label}: `{key}: {value}` lets the container swap beyond its "
                       f"`memory: {wanted}`: write `{key}: {wanted}` (no swap)", fix=replace, container=container,
                       at="value")
