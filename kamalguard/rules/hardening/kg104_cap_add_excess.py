from ..base import example, rule
from .common import DOCKER_RUN, cis, containers, deploy, item_paths, option, option_path, owasp, profile, unknown

DANGEROUS = {
    "SYS_ADMIN": "it is close to root on the host (mount, namespaces, BPF, ...)",
    "SYS_PTRACE": "it lets the container trace and read the memory of other processes in it",
    "ALL": "it gives back every capability, close to `privileged`",
}


def capability(value) -> str:
    """Docker's spelling of a capability: upper case, without the `CAP_` prefix."""
    return str(value).strip().upper().removeprefix("CAP_")


@rule(
    id="KG104",
    slug="cap-add-excess",
    severity="warning",
    family="hardening",
    summary="A container adds a Linux capability outside the policy's allowlist",
    references=[cis("5.4", "Ensure that Linux kernel capabilities are restricted within containers"),
                owasp("RULE #3: Limit capabilities"),
                ("docker run: runtime privilege and Linux capabilities", DOCKER_RUN + "#privileged")],
    settings={"allowed": ["NET_BIND_SERVICE"]},
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cap-drop: [ALL]
              cap-add: [SYS_ADMIN]
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cap-drop: [ALL]
              cap-add: [NET_BIND_SERVICE]
    """)),
)
def check(ctx):
    """Checks each `cap-add` of every role, accessory and kamal-proxy (`proxy.run.options`) against the policy's
    allowlist: `allowed` in `.kamalguard.yml` (`rules: {KG104: {allowed: [...]}}`), default `[NET_BIND_SERVICE]`.
    Names are compared the way Docker reads them (any case, with or without `CAP_`).

    A capability outside the allowlist is a warning; SYS_ADMIN, SYS_PTRACE and ALL are errors (unless the policy
    names them: the allowlist is where a team records a decision).

    An accessory whose official image starts as root and switches to its own user (postgres, pgvector, postgis,
    timescaledb, mysql, mariadb, redis, valkey, mongo, rabbitmq) may also add back what that switch needs, CHOWN,
    DAC_OVERRIDE, FOWNER, SETGID and SETUID (nginx: CHOWN, SETGID, SETUID), unless it sets `user:`: that is what
    KG103 asks for when it drops ALL, so the two rules agree.

    ## Why
    `cap-add` undoes `cap-drop` (KG103) one capability at a time. Each should be a decision someone made and
    wrote down. SYS_ADMIN is "the new root" (mount, namespaces, BPF...), SYS_PTRACE reads other processes'
    memory, ALL gives back everything. CIS Docker Benchmark 1.6 §5.4; OWASP Docker Security Cheat Sheet, rule #3.

    ## How to fix
    Remove the capability, or, when the container truly needs it, add it to the policy with a comment saying
    why:

    ```yaml
    # .kamalguard.yml
    rules:
      KG104:
        allowed: [NET_BIND_SERVICE, CHOWN, SETUID, SETGID]  # postgres switches to its own user at start
    ```

    ## Fix
    None: only a person knows whether the container needs it.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy needs no capability.
    """
    allowed = {capability(c) for c in ctx.setting("allowed") or []}
    for container in containers(ctx):
        found = option(container, "cap-add")
        if found is None:
            continue
        needed = set(profile(container).switch_user_caps) if option(container, "user") is None else set()
        for path, value in item_paths(option_path(container, found[0]), found[1]):
            if unknown(value) or capability(value) in allowed | needed:
                continue
            cap = capability(value)
            if cap in DANGEROUS:
                ctx.report(path, f"{container.label} adds {cap}: {DANGEROUS[cap]}; remove it and give the "
                           f"container only the narrow capability it needs", severity="error", container=container,
                           at="value")
            else:
                ctx.report(path, f"{container.label} adds {cap}, which the policy does not allow "
                           f"({', '.join(sorted(allowed)) or 'nothing'}): remove it, or allow it in .kamalguard.yml "
                           f"(rules: KG104: allowed) with the reason", container=container, at="value")
