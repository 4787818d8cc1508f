from ...kamal.secrets import secrets
from ..base import example, rule
from ..hardening.common import owasp


@rule(
    id="KG206",
    slug="secrets-file-literal",
    severity="warning",
    summary="A secrets file holds a secret's value rather than a reference to it",
    family="exposure",
    references=[("Kamal environment variables and secrets",
                 "https://kamal-deploy.org/docs/configuration/environment-variables/"),
                ("OWASP Secrets Management Cheat Sheet",
                 "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"),
                owasp("RULE #12 - Utilize Docker Secrets for Sensitive Data Management")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          secret:
            - DATABASE_PASSWORD
    """, secrets="""
        DATABASE_PASSWORD='correct-horse-battery'
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          secret:
            - DATABASE_PASSWORD
    """, secrets="""
        DATABASE_PASSWORD=$(op read op://production/db/password)
    """),
)
def check(ctx):
    """Checks each line of the secrets files Kamal reads for this config (`.kamal/secrets-common`, then
    `.kamal/secrets` or `.kamal/secrets.<destination>`, under `secrets_path`) for a value written out, rather
    than a reference that Kamal resolves at deploy time: `$(command)` (a password manager, `kamal secrets
    fetch`/`extract`), `$VAR` or `${VAR}` from the environment.

    Kamal's own template says of `.kamal/secrets`: "DO NOT ENTER RAW CREDENTIALS HERE! This file needs to be
    safe for git." A value written there ends up in the repository, in backups and in every clone. A
    single-quoted value is never expanded by dotenv, so `KEY='$(op read ...)'` is a literal too. A value that
    mixes references with a written password (`postgres://app:PASSWORD@$DB_HOST/app`) counts as written. A helper
    variable is not reported: a value that other lines of the file use (`VAULT=Production` for
    `$(op read op://$VAULT/db/password)`) and whose name and value do not look like a credential.

    Messages name the file, the line and the key; the value itself is never shown.

    ## How to fix
    Replace the value with a reference: `DATABASE_PASSWORD=$(op read op://vault/db/password)`,
    `DATABASE_PASSWORD=$DATABASE_PASSWORD` (set in CI or your shell), or `kamal secrets fetch`. Rotate a value
    that was committed.
    """
    for secrets_file in secrets(ctx).files:
        for assignment in secrets_file.literals():
            ctx.report_span(secrets_file.document, 0, 0,
                            f"{secrets_file.path} line {assignment.line}: {assignment.key} is assigned a written "
                            f"value (***) rather than a reference, so the secret sits in the file: read it at "
                            f"deploy time instead, e.g. {assignment.key}=$(op read ...) or "
                            f"{assignment.key}=${assignment.key}",
                            line=assignment.line, column=assignment.column)
