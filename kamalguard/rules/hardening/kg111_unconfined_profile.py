import re

from ..base import example, rule
from .common import DOCKER_RUN, cis, containers, deploy, item_paths, option, option_path, owasp, unknown

# compiled on first use (by the re module's cache): most configs set no security-opt
_UNCONFINED = r"(seccomp|apparmor|systempaths)[=:]unconfined\Z"
WHAT = {
    "seccomp": ("5.22", "every system call is allowed, including the ones container escapes use"),
    "apparmor": ("5.2", "AppArmor no longer limits which files and mounts it may touch"),
    "systempaths": ("5.22", "/proc and /sys paths Docker masks (kcore, keys, sysrq-trigger...) become visible"),
}


@rule(
    id="KG111",
    slug="unconfined-profile",
    severity="error",
    family="hardening",
    summary="A container turns off its seccomp or AppArmor profile (`security-opt: seccomp=unconfined`)",
    references=[cis("5.22", "Ensure the default seccomp profile is not Disabled"),
                cis("5.2", "Ensure that, if applicable, an AppArmor Profile is enabled"),
                owasp("RULE #6: Use Linux Security Module (seccomp, AppArmor, or SELinux)"),
                ("docker run --security-opt", DOCKER_RUN + "#security-opt")],
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              security-opt:
                - seccomp=unconfined
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              security-opt:
                - no-new-privileges
    """)),
)
def check(ctx):
    """Checks that no role, accessory or kamal-proxy (`proxy.run.options`) sets `security-opt` to
    `seccomp=unconfined` or `apparmor=unconfined` (either with `=` or `:`); `systempaths=unconfined`, which
    unmasks /proc and /sys, is reported too.

    ## Why
    Docker's default seccomp profile blocks about 44 system calls that containers don't need and escapes use
    (`mount`, `keyctl`, `unshare`, `ptrace` on old kernels...); its AppArmor profile keeps the container away from
    host files and mounts. `unconfined` removes that layer for the whole container, usually to work around one
    blocked call. CIS Docker Benchmark 1.6 §5.22 and §5.2; OWASP Docker Security Cheat Sheet, rule #6.

    ## How to fix
    Remove the option. If one system call is really needed, write a custom profile that allows just it
    (`seccomp=/path/profile.json`).

    ## Fix
    None: whatever needed the call would fail again.

    ## kamal-proxy
    Covered when `proxy.run` is written: kamal-proxy runs under the default profiles.
    """
    for container in containers(ctx):
        found = option(container, "security-opt")
        if found is None:
            continue
        for path, value in item_paths(option_path(container, found[0]), found[1]):
            match = None if unknown(value) else re.match(_UNCONFINED, str(value).strip(), re.I)
            if match:
                kind = match.group(1).lower()
                section, effect = WHAT[kind]
                ctx.report(path, f"{container.label} runs without its {kind} confinement (CIS §{section}): "
                           f"{effect}; remove `{value}`", container=container, at="value")
