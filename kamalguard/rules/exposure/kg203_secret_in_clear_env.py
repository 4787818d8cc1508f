from ...fix.edits import AddItems, NestKeys, RemoveKey
from ...kamal.view import slash
from ...redact import credential_kind, env_blocks, is_flag_value, looks_like_secret_name
from ...source.scalars import ErbValue
from ..base import Fix, example, rule
from ..hardening.common import owasp

ENV_FORM_KEYS = ("clear", "secret", "tags")


@rule(
    id="KG203",
    slug="secret-in-clear-env",
    severity="error",
    summary="A credential is passed as clear env, in the deploy file and on the docker command line",
    family="exposure",
    fix="unsafe",
    references=[owasp("RULE #12 - Utilize Docker Secrets for Sensitive Data Management"),
                ("OWASP Secrets Management Cheat Sheet",
                 "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"),
                ("Kamal environment variables", "https://kamal-deploy.org/docs/configuration/environment-variables/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          clear:
            RAILS_ENV: production
            DATABASE_PASSWORD: correct-horse-battery-staple
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          clear:
            RAILS_ENV: production
          secret:
            - DATABASE_PASSWORD
    """),
)
def check(ctx):
    """Checks every env (the root one, each role's, accessory's and env tag's; in simple form or under `clear`)
    for a setting that looks like a credential, by its name (PASSWORD, SECRET, TOKEN, KEY, MASTER_KEY,
    CREDENTIALS, ... but not TOKEN_EXPIRY_HOURS, SSH_KEY_PATH or a PUBLIC key) or by its value: a URL with a
    password, a known token shape (`ghp_…`, `AKIA…`, `xox…`, `sk_live_…`, a PEM private key) or 32 hex digits (a
    Rails master key). Values such as `true`/`yes`/`1` switch something on and are not credentials.

    A clear value is committed to git with the deploy file, and Kamal passes it as `docker run --env NAME=value`:
    it shows in Kamal's output and logs, in `ps` on the host, and in `docker inspect`. That holds for a value ERB
    reads from the environment (`<%= ENV["DB_PASSWORD"] %>`) too: only the git part is avoided. Secrets under
    `secret:` come from `.kamal/secrets` and reach the container through an env file instead.

    ## How to fix
    Move the name under `secret:` and define it in `.kamal/secrets` from a password manager or the environment
    (`DATABASE_PASSWORD=$(op read op://vault/db/password)` or `DATABASE_PASSWORD=$DATABASE_PASSWORD`). A value
    that was committed is in the git history: rotate it.

    ## Fix safety
    Unsafe: the fix removes the value from the deploy file and lists the name under `secret:` (a simple-form env
    first becomes `clear:`/`secret:` form, its other settings moving under `clear:`). Until the name is defined in
    `.kamal/secrets`, Kamal stops with "Secret 'NAME' not found".
    """
    for env_path, clear_path, clear in env_blocks(ctx.view):
        env = ctx.view.get(env_path)
        declared = env.get("secret") if isinstance(env.get("secret"), list) else []
        for name, value in clear.items():
            reason = _why(name, value)
            if reason is None or name in declared:
                continue
            where = slash((*clear_path, name))
            ctx.report((*clear_path, name),
                       f"{where} {reason}, and clear env is committed with this file and shown on the docker "
                       f"command line: list {name} under {slash(env_path)}/secret and define it in .kamal/secrets "
                       f"(rotate the value if it was committed)",
                       fix=_move_to_secret(env_path, clear_path, name))


def _why(name, value) -> str | None:
    if is_flag_value(value):
        return None
    kind = credential_kind(value)
    if kind:
        return f"holds a value shaped like {kind}"
    if looks_like_secret_name(name):
        written = " (read by ERB at deploy time)" if isinstance(value, ErbValue) else ""
        return f"is named like a credential{written}"
    return None


def _move_to_secret(env_path, clear_path, name) -> Fix:
    edits = []
    if clear_path == env_path:  # simple form: the other settings move under clear: first
        edits.append(NestKeys(env_path, "clear", keep=ENV_FORM_KEYS))
    edits += [RemoveKey((*env_path, "clear"), str(name)), AddItems((*env_path, "secret"), (str(name),))]
    return Fix("unsafe", f"move {name} from clear env to {slash(env_path)}/secret",
               f"Kamal now reads {name} from .kamal/secrets: add it there (e.g. {name}=$(op read ...)) or the "
               f"deploy stops with \"Secret '{name}' not found\"",
               tuple(edits))
