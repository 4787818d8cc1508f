from ...fix.edits import RemoveKey, RenameKey
from ..base import Fix, example, rule
from .common import DOCKER_RUN, containers, deploy, docker_flags, option_path

# Flags Kamal passes itself to every container it starts; repeating them in options breaks the deploy.
KAMAL_PASSES = {
    "name": "Kamal names the container itself (`--name`); a second name wins, and Kamal can no longer find the "
            "container to stop, reboot or remove it",
    "rm": "Kamal starts containers with `--restart unless-stopped`, and Docker refuses `--rm` together with it",
}


def suggestions(key: str, known: set) -> list[str]:
    """The real flags `key` was probably meant to be: an exact match once dashes, underscores and case are
    normalised, the long form of a one-letter shorthand, or the close spellings."""
    data = docker_flags()
    bare = key.strip().lstrip("-")
    if bare in data["shorthands"]:
        return [data["shorthands"][bare]]
    normal = bare.lower().replace("_", "-")
    if normal in known:
        return [normal]
    import difflib  # only for an option Docker does not know

    return difflib.get_close_matches(normal, sorted(known), n=3, cutoff=0.8)


@rule(
    id="KG114",
    slug="unknown-docker-option",
    severity="error",
    family="hardening",
    summary="An option that `docker run` does not accept (a typo such as `readonly`), so the deploy fails",
    references=[("docker run reference (options)", DOCKER_RUN + "#options"),
                ("Kamal: role options", "https://kamal-deploy.org/docs/configuration/roles/"),
                ("Kamal: accessory options", "https://kamal-deploy.org/docs/configuration/accessories/")],
    fix="safe when exactly one real flag is close (a rename); unsafe for a flag Kamal passes itself (a removal)",
    settings={"extra_flags": []},
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              readonly: true
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              read-only: true
              tmpfs: [/rails/tmp, /tmp]
    """)),
)
def check(ctx):
    """Checks every key of the `options:` of each role, accessory and kamal-proxy (`proxy.run.options`) against
    the flags `docker run` accepts, and suggests the closest real flag.

    Kamal turns each key into `--key`, verbatim: no `_` to `-` conversion, and no one-letter flags (`v: /a:/b`
    becomes `--v`, which Docker rejects, where `-v` would have worked: write `volume`). Docker stops at the
    first unknown flag, so the container never starts and the deploy fails on the server, after the build
    and push.

    The flag list is data (kamalguard/data/docker-run-flags.json), taken from `docker run --help` of the Docker
    28 client plus the hidden aliases Docker still accepts (`net`, `net-alias`, `dns-opt`); the script
    scripts/docker_run_flags.py regenerates it. Setting (`rules: {KG114: {extra_flags: [...]}}`): flags of a
    newer Docker to accept.

    It also reports the flags Kamal passes itself where repeating them breaks the deploy: `name` (Kamal loses
    track of the container) and `rm` (Docker refuses it next to Kamal's `--restart`).

    ## Why
    A typo in `options:` is invisible until deploy time: Kamal does not check option names, and the failure
    appears on the server as "unknown flag: --readonly", after the image was built and pushed. Worse, the
    hardening the option was meant to add was never there.

    ## How to fix
    Use the flag's long name as `docker run --help` spells it: `read-only`, `cap-drop`, `security-opt`,
    `volume`, `memory`. Remove `name` and `rm`.

    ## Fix
    A rename to the suggested flag, safe when exactly one real flag is close (and it is not already set, and the
    value is not `false`, which KG115 removes instead); behaviour change: the option now reaches `docker run`.
    For `name` and `rm`: unsafe, it removes the option. When several flags are close, no fix: the message lists
    them.

    ## kamal-proxy
    Covered: `proxy.run.options` go to `docker run` the same way.
    """
    data = docker_flags()
    known = set(data["flags"]) | set(data["aliases"]) | set(ctx.setting("extra_flags") or [])
    for container in containers(ctx):
        options = container.options
        for key in options:
            path = option_path(container, key)
            origin = ctx.view.origin(path)
            if origin is not None and origin.loc.key is not None and "<%" in origin.doc.source.text[
                    origin.loc.key.start:origin.loc.key.end]:
                continue  # ERB writes the key: unknown until deploy
            if key in KAMAL_PASSES:
                ctx.report(path, f"{container.label}: `{key}`: {KAMAL_PASSES[key]}: remove it",
                           fix=Fix("unsafe", f"remove {key}", f"docker run no longer gets a second --{key}",
                                   (RemoveKey(container.options_path, key),)),
                           container=container)
                continue
            if key in known:
                continue
            close = suggestions(key, known)
            fix = None
            if len(close) == 1 and close[0] not in options and options[key] is not False:  # false: KG115 removes
                fix = Fix("safe", f"rename {key} to {close[0]}",
                          f"--{close[0]} now reaches docker run (before, docker run refused --{key})",
                          (RenameKey(container.options_path, key, close[0]),))
            if not close:
                hint = "check `docker run --help` for the flag you meant"
            elif len(close) == 1 and close[0] in options:
                hint = f"`{close[0]}` is already set, so remove this one"
            else:
                hint = "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
            ctx.report(path, f"{container.label}: `{key}` is not a `docker run` option (Kamal passes it as "
                       f"`--{key}` and Docker refuses to start the container): {hint}", fix=fix,
                       container=container)
