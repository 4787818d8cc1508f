import re

from ...fix.edits import SetKey
from ...kamal.view import slash
from ...source.scalars import ErbValue
from ..base import Fix, example, rule
from ..hardening.common import owasp

ROOT_SECRET = "KAMAL_REGISTRY_PASSWORD"


@rule(
    id="KG204",
    slug="registry-password-literal",
    severity="error",
    summary="The registry password is written in the deploy file",
    family="exposure",
    fix="unsafe",
    references=[("Kamal registry configuration", "https://kamal-deploy.org/docs/configuration/docker-registry/"),
                owasp("RULE #12 - Utilize Docker Secrets for Sensitive Data Management")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          username: myorg
          password: dckr_pat_not-a-real-one
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        registry:
          username: myorg
          password:
            - KAMAL_REGISTRY_PASSWORD
    """),
)
def check(ctx):
    """Checks that `registry.password` (and an accessory's `registry.password`) is not a literal string.

    Kamal reads `password: [NAME]` from `.kamal/secrets`; a plain string is used as the password itself, so it
    is committed with the deploy file, and whoever can read the repository can push images that your servers
    will run. A value written by ERB (`<%= %x(aws ecr get-login-password) %>`) is not a literal.

    ## How to fix
    Write `password: [KAMAL_REGISTRY_PASSWORD]` and define `KAMAL_REGISTRY_PASSWORD` in `.kamal/secrets`
    (`KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD`, or from a password manager). Revoke the token that was
    committed: it stays in the git history.

    ## Fix safety
    Unsafe: the fix replaces the password with `[KAMAL_REGISTRY_PASSWORD]` (for an accessory's own registry,
    `[<NAME>_REGISTRY_PASSWORD]`); until that secret is defined in `.kamal/secrets`, Kamal cannot log in.
    """
    view = ctx.view
    registries = [(("registry",), ROOT_SECRET, None)]
    root_server = view.get(("registry", "server"))
    registries += [((*a.path, "registry"), _accessory_secret(a, root_server), a) for a in view.accessories()]
    for path, secret, accessory in registries:
        registry = view.get(path)
        password = registry.get("password") if isinstance(registry, dict) else None
        if not _written(password):
            continue
        ctx.report((*path, "password"),
                   f"{slash(path)}/password is written here as plain text, so anyone who can read the repository can "
                   f"push images your servers run: use password: [{secret}], define {secret} in .kamal/secrets, and "
                   f"revoke the committed token",
                   container=accessory, at="value",
                   fix=Fix("unsafe", f"read the password from the {secret} secret",
                           f"Kamal now reads {secret} from .kamal/secrets: add it there or registry login fails",
                           (SetKey(path, "password", [secret]),)))


def _written(password) -> bool:
    """A password written as a value (text or a number), not named as a secret ([NAME]) nor written by ERB."""
    return not isinstance(password, (bool, ErbValue)) and isinstance(password, (str, int, float)) and \
        str(password).strip() != ""


def _accessory_secret(accessory, root_server) -> str:
    """The root registry's secret when the accessory pulls from the same registry, else one named after it."""
    registry = accessory.config.get("registry")
    if isinstance(registry, dict) and registry.get("server") == root_server:
        return ROOT_SECRET
    return re.sub(r"[^A-Z0-9]+", "_", str(accessory.name).upper()).strip("_") + "_REGISTRY_PASSWORD"
