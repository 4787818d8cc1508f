from ..base import Fix, example, rule
from .common import (
    DOCKER_RUN,
    cis,
    containers,
    deploy,
    fix_edits,
    items,
    option,
    option_path,
    owasp,
    profile,
    unknown,
)


@rule(
    id="KG103",
    slug="cap-drop-all",
    severity="warning",
    family="hardening",
    summary="A container keeps Docker's default Linux capabilities (no `cap-drop: [ALL]`)",
    references=[cis("5.4", "Ensure that Linux kernel capabilities are restricted within containers"),
                owasp("RULE #3: Limit capabilities"),
                ("docker run: runtime privilege and Linux capabilities", DOCKER_RUN + "#privileged")],
    fix="safe (unsafe for accessory images whose entrypoint switches user, e.g. postgres)",
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cap-drop: [NET_RAW]
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              cap-drop: [ALL]
    """)),
)
def check(ctx):
    """Checks that every container drops all Linux capabilities: `cap-drop` includes `ALL` in the options of each
    role (the implicit `web` role included), each accessory, and kamal-proxy when `proxy.run` is written. Add back
    only what the container needs with `cap-add` (KG104 checks those).

    ## Why
    Docker gives every container 14 capabilities by default (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID,
    NET_RAW, MKNOD, ...). A web app needs none of them: binding ports below 1024 works without NET_BIND_SERVICE
    on Docker 20.10 and later. Each one left is a tool for an attacker who got code execution (NET_RAW for
    spoofing on the Docker network, DAC_OVERRIDE to ignore file permissions, SETUID to become another user).
    CIS Docker Benchmark 1.6 §5.4; OWASP Docker Security Cheat Sheet, rule #3.

    ## How to fix
    ```yaml
    options:
      cap-drop: [ALL]
    ```

    Official database images (postgres, mysql, mariadb, redis, valkey, mongo, rabbitmq) start as root and switch
    to their own user, which needs CHOWN, DAC_OVERRIDE, FOWNER, SETGID and SETUID: give those back with
    `cap-add` (KG104 accepts them for these images), or start the container as that user with `user:`.

    ## Fix
    Safe: it adds `ALL` to `cap-drop` (creating it; a role written as a host list becomes a role map). Behaviour
    change: the container loses every capability, so a process that needs one fails with "operation not
    permitted". For an accessory whose image is known to switch user at start (the databases above) and that
    sets no `user:`, the fix also adds exactly the capabilities that entrypoint needs to `cap-add`, so the
    database still boots; it is unsafe, because it relies on what kamalguard knows of the image.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy runs as an unprivileged user and needs no capability.
    """
    for container in containers(ctx):
        found = option(container, "cap-drop")
        values = items(found[1]) if found else []
        if any(unknown(v) for v in values) or any(str(v).strip().upper() == "ALL" for v in values):
            continue
        needs = profile(container).switch_user_caps if option(container, "user") is None else ()
        if needs:
            # Dropping ALL alone would stop the image booting: give back exactly what its entrypoint needs.
            fix = Fix("unsafe", f"add ALL to cap-drop and {', '.join(needs)} to cap-add",
                      f"cap-drop ALL: the container keeps only {', '.join(needs)}, which the image's entrypoint "
                      f"needs to switch user", fix_edits(container, adds={"cap-drop": ["ALL"], "cap-add": needs}))
        else:
            fix = Fix("safe", "add ALL to cap-drop",
                      "cap-drop ALL: the container loses every Linux capability (operations that need one fail)",
                      fix_edits(container, adds={"cap-drop": ["ALL"]}))
        what = "keeps Docker's default capabilities" if not values else "drops some capabilities but not ALL"
        hint = f" (its image needs {', '.join(needs)} back via cap-add)" if needs else ""
        ctx.report(option_path(container, found[0] if found else "cap-drop"),
                   f"{container.label} {what}: add `ALL` to `cap-drop` in its options and `cap-add` only what it "
                   f"needs{hint}", fix=fix, container=container)
