from ..base import Fix, example, rule
from .common import DOCKER_RUN, cis, containers, deploy, fix_edits, option, option_path, owasp, unknown


def integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    return None


@rule(
    id="KG112",
    slug="pids-limit",
    severity="info",
    family="hardening",
    summary="A container has no process limit (`pids-limit`)",
    references=[cis("5.29", "Ensure that the PIDs cgroup limit is used"),
                owasp("RULE #7: Limit resources"),
                ("docker run --pids-limit", DOCKER_RUN + "#pids-limit")],
    fix="safe when the policy gives a default",
    settings={"default": None},
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
              pids-limit: 500
    """)),
)
def check(ctx):
    """Checks that every role (the implicit `web` role included), accessory and kamal-proxy (`proxy.run.options`)
    sets `pids-limit` to a positive number (`0` and `-1` mean no limit).

    Setting (`.kamalguard.yml`, `rules: {KG112: {default: 500}}`): `default`, the limit the fix sets.

    ## Why
    A fork bomb, or a leak that starts threads in a loop, exhausts the host's process table and every
    container on it stops being able to start anything. Threads count: a Puma server with 5 threads and a few
    workers uses dozens; Sidekiq with 10 threads about 20. CIS Docker Benchmark 1.6 §5.29; OWASP Docker Security
    Cheat Sheet, rule #7.

    ## How to fix
    ```yaml
    options:
      pids-limit: 500
    ```

    ## Fix
    Safe when the policy gives `default` (it adds `pids-limit: <default>`); otherwise none, since the right
    number depends on the app. Behaviour change: the container cannot start more processes and threads than
    that.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy is one process with a few dozen threads.
    """
    default = ctx.setting("default")
    for container in containers(ctx):
        found = option(container, "pids-limit")
        if found is None:
            fix = None if default is None else Fix(
                "safe", f"set pids-limit: {default}",
                f"pids-limit: the container cannot run more than {default} processes and threads",
                fix_edits(container, sets={"pids-limit": default}))
            ctx.report(option_path(container, "pids-limit"),
                       f"{container.label} has no process limit: add `pids-limit:` to its options (e.g. "
                       f"`pids-limit: {default or 500}`)", fix=fix, container=container)
            continue
        key, value = found
        number = integer(value)
        if unknown(value) or (number is not None and number > 0):
            continue
        if number is None:
            ctx.report(option_path(container, key), f"{container.label}: `{key}: {value}` is not a number Docker "
                       f"accepts: write a whole number such as 500", severity="error", container=container,
                       at="value")
        else:
            ctx.report(option_path(container, key), f"{container.label}: `{key}: {value}` means no process "
                       f"limit: set a positive number such as 500", container=container, at="value")
