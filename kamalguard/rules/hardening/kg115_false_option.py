from ...fix.edits import RemoveKey
from ..base import Fix, example, rule
from .common import containers, deploy, option_path, takes_value, unknown


@rule(
    id="KG115",
    slug="false-option",
    severity="error",
    family="hardening",
    summary="An option set to `false` or left empty (or a switch given a value), which Kamal renders as a broken "
            "`docker run` argument",
    references=[("Kamal: role options", "https://kamal-deploy.org/docs/configuration/roles/"),
                ("docker run reference (options)", "https://docs.docker.com/reference/cli/docker/container/run/")],
    fix="unsafe: remove",
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              privileged: false
    """)),
    passing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              init: true
    """)),
)
def check(ctx):
    """Checks the values of every role's, accessory's and kamal-proxy's (`proxy.run.options`) options for the ones
    Kamal cannot turn into a working `docker run` argument:

    - `false`: Kamal writes `--privileged "false"`. Docker reads the bare switch `--privileged` and takes
      "false" as the image name, so the container does not start (or, for a flag that takes a value, Docker
      rejects "false"). A switch is off when it is absent: remove the key.
    - an empty value (`memory:` or `~`), or `true`, on a flag that takes a value: Kamal writes a bare `--memory`,
      which swallows the next argument (the image name). On a switch such as `read-only:` an empty value is
      harmless (a bare switch is on) and not reported.
    - a value on a switch (`read-only: "true"`, quoted, or `init: yes please`): Kamal writes `--read-only "true"`
      and Docker takes "true" as the image name. Write `true` unquoted.

    ## Why
    These deploy "successfully" from the config's point of view and fail on the server, after the build, with an
    error that names the image rather than the option. `false` is also the natural thing to write when you mean
    "off", so it is easy to commit.

    ## How to fix
    Remove the key, or give the flag a real value.

    ## Fix
    Unsafe: it removes the key (for `false` that is exactly what was meant, but it is still a change to what
    you wrote). Behaviour change: the flag is no longer passed to `docker run`. No fix for a value on a switch.

    ## kamal-proxy
    Covered: `proxy.run.options` are rendered the same way.
    """
    for container in containers(ctx):
        for key, value in container.options.items():
            flag_takes_value = takes_value(key)
            path = option_path(container, key)
            remove = Fix("unsafe", f"remove {key}", f"docker run no longer gets --{key}",
                         (RemoveKey(container.options_path, key),))
            if value is False or (isinstance(value, list) and any(item is False for item in value)):
                ctx.report(path, f"{container.label}: `{key}: false` becomes `--{key} \"false\"`, which breaks "
                           f"`docker run`: remove {'the key' if value is False else 'the `false` item'} (a flag is "
                           f"off when it is absent)", fix=remove if value is False else None,
                           container=container, at="value")
            elif (value is None or value is True) and flag_takes_value:
                what = "has no value" if value is None else "is `true`"
                ctx.report(path, f"{container.label}: `{key}` {what}, so Kamal passes a bare `--{key}` that "
                           f"swallows the next argument: give it a value or remove it", fix=remove,
                           container=container)
            elif flag_takes_value is False and value not in (True, None) and not unknown(value):
                shown = f'"{value}"' if isinstance(value, str) else str(value)
                ctx.report(path, f"{container.label}: `{key}` is a switch, but `{key}: {shown}` becomes "
                           f"`--{key} {shown}` and Docker takes {shown} as the image name: write `{key}: true` "
                           f"(unquoted) or remove it", container=container, at="value")
