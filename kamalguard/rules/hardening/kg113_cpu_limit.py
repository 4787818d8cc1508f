import re

from ..base import example, rule
from .common import cis, containers, deploy, option, option_path, owasp, unknown

_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_RATIONAL = re.compile(rf"({_NUMBER})(?:/([0-9]+))?\Z")


def cpus(value) -> float | None:
    """The number of CPUs as Docker reads `--cpus` (Go's big.Rat: a decimal, or a fraction such as 3/2); None
    when Docker would reject it."""
    if isinstance(value, bool) or value is None:
        return None
    match = _RATIONAL.match(str(value).strip())
    denominator = int(match.group(2) or 1) if match else 0
    return float(match.group(1)) / denominator if denominator else None


@rule(
    id="KG113",
    slug="cpu-limit",
    severity="info",
    family="hardening",
    summary="A container has no CPU limit (`cpus`)",
    references=[cis("5.12", "Ensure that CPU priority is set appropriately on containers"),
                owasp("RULE #7: Limit resources"),
                ("Docker: CPU constraints", "https://docs.docker.com/engine/containers/resource_constraints/#cpu")],
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
          job:
            hosts: [192.0.2.11]
            cmd: bin/jobs
            options:
              cpus: 1.5
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cpus: 2
          job:
            hosts: [192.0.2.11]
            cmd: bin/jobs
            options:
              cpus: 1.5
    """)),
)
def check(ctx):
    """Checks that every role (the implicit `web` role included), accessory and kamal-proxy (`proxy.run.options`)
    sets `cpus` to a positive number (`0` means no limit).

    ## Why
    Without a limit, a busy container (a job queue catching up, an image conversion, a runaway loop) takes every
    core, and the web role or the database on the same host starves: requests time out although nothing is
    "down". A `cpus` limit caps it at that many cores' worth of time. CIS Docker Benchmark 1.6 §5.12; OWASP Docker
    Security Cheat Sheet, rule #7.

    ## How to fix
    ```yaml
    options:
      cpus: 1.5
    ```

    ## Fix
    None: the right share depends on the host and on what else runs there.

    ## kamal-proxy
    Covered when `proxy.run` is written: the proxy is on the path of every request, so give it a generous
    limit, or accept this finding for it.
    """
    for container in containers(ctx):
        found = option(container, "cpus")
        if found is None:
            ctx.report(option_path(container, "cpus"), f"{container.label} has no CPU limit and can starve what "
                       f"shares its host: add `cpus:` to its options (e.g. `cpus: 1.5`)", container=container)
            continue
        key, value = found
        number = cpus(value)
        if unknown(value) or (number is not None and number > 0):
            continue
        if number is None or number < 0:
            ctx.report(option_path(container, key), f"{container.label}: `{key}: {value}` is not a number of CPUs "
                       f"Docker accepts: write one such as 1.5", severity="error", container=container, at="value")
        else:
            ctx.report(option_path(container, key), f"{container.label}: `{key}: 0` means no CPU limit: set a "
                       f"positive number such as 1.5", container=container, at="value")
