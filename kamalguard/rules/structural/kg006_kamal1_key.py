from ...fix.edits import RenameKey
from ..base import Fix, example, rule
from . import schema


def _arch_for(key: str, value):
    """Kamal 1 `multiarch: true` built amd64 and arm64; `platforms: linux/amd64,...` names them outright."""
    if key == "multiarch":
        if value is True:
            return ["amd64", "arm64"]
        if value is False:
            return "amd64"
        return None
    if isinstance(value, str):
        arches = [p.strip().removeprefix("linux/") for p in value.split(",") if p.strip()]
    elif isinstance(value, list) and all(isinstance(p, str) for p in value):
        arches = [p.strip().removeprefix("linux/") for p in value]
    else:
        return None
    if not arches or not all(a in ("amd64", "arm64") for a in arches):
        return None
    return arches[0] if len(arches) == 1 else arches


@rule(
    id="KG006",
    slug="kamal1-key",
    severity="error",
    summary="A Kamal 1 setting that Kamal 2 no longer accepts",
    fix="safe: builder.multiarch/platforms become builder.arch; the rest get a migration hint",
    references=[("Upgrading to Kamal 2", "https://kamal-deploy.org/docs/upgrading/overview/"),
                ("Kamal 2 configuration changes", "https://kamal-deploy.org/docs/upgrading/configuration-changes/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        builder:
          multiarch: false
        traefik:
          options:
            publish:
              - 443:443
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        builder:
          arch: amd64
        proxy:
          ssl: true
          host: app.example.com
    """),
)
def check(ctx):
    """Checks for settings of Kamal 1 that Kamal 2 rejects, and says what replaces each one:

    - `traefik` (top level, or `traefik: true` in a role) → `proxy` (kamal-proxy; its settings differ);
    - `healthcheck` → `proxy.healthcheck` (`path`, `interval`, `timeout`), or `options: {health-cmd: ...}`
      for a role without the proxy;
    - `stop_wait_time` → `drain_timeout`;
    - `builder.multiarch` / `builder.platforms` → `builder.arch` (required in Kamal 2);
    - `builder.local`/`builder.remote` given as `{arch, host}` maps → `builder.arch`, `builder.remote: ssh://...`;
    - and the other Kamal 1 keys the schema marks with `x-kamal1`.

    ## Fix
    `builder.multiarch` and `builder.platforms` are rewritten to `builder.arch` in place. `platforms` and
    `multiarch: true` (amd64 and arm64) name what Kamal 1 built. `multiarch: false` built for the machine
    that ran the deploy, so it becomes `amd64`, what nearly every server runs; the fix's behaviour-change note
    says to write `arm64` for arm servers. The others need a person: the finding says what to write instead.
    """
    for error in schema.errors(ctx):
        if error.kind != "kamal1":
            continue
        fix = None
        key = error.path[-1] if error.path else None
        if error.path[:1] == ("builder",) and key in ("multiarch", "platforms") and len(error.path) == 2:
            value = ctx.view.get(error.path)
            arch = _arch_for(key, value)
            if arch is not None and not ctx.view.has(("builder", "arch")):
                note = ""
                if value is False:
                    note = ("images are built for amd64, not for the machine that runs the deploy: "
                            "write arch: arm64 instead if the servers are arm64")
                fix = Fix("safe", f"rename builder/{key} to builder/arch: {arch}", note,
                          (RenameKey(("builder",), key, "arch", arch),))
        message = error.message if not error.hint or error.hint in error.message else f"{error.message}: {error.hint}"
        ctx.report(error.path, message, fix=fix)
