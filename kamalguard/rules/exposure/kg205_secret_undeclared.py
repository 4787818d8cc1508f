from ...kamal.secrets import references, secrets
from ..base import example, rule


@rule(
    id="KG205",
    slug="secret-undeclared",
    severity="warning",
    summary="The config names a secret that no secrets file defines",
    family="exposure",
    references=[("Kamal environment variables and secrets",
                 "https://kamal-deploy.org/docs/configuration/environment-variables/"),
                ("Kamal secrets command", "https://kamal-deploy.org/docs/commands/secrets/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          secret:
            - RAILS_MASTER_KEY
            - DATABASE_PASSWORD
    """, secrets="""
        RAILS_MASTER_KEY=$(cat config/master.key)
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          secret:
            - RAILS_MASTER_KEY
            - DATABASE_PASSWORD
    """, secrets="""
        RAILS_MASTER_KEY=$(cat config/master.key)
        DATABASE_PASSWORD=$(op read op://production/db/password)
    """),
)
def check(ctx):
    """Checks that every secret the config looks up is defined by a secrets file Kamal reads: the names under
    `env.secret` (root, roles, accessories, tags; `NAME:ALIAS` looks up `ALIAS`), `registry.username`/`password`
    given as `[NAME]`, `builder.secrets`, `proxy.ssl.certificate_pem`/`private_key_pem` and `ssh.key_data`.

    Kamal reads `.kamal/secrets-common`, then `.kamal/secrets`, or `.kamal/secrets.<destination>` with `-d`
    (and then not `.kamal/secrets`); `secrets_path` moves them. A name none of them defines stops the deploy
    with "Secret 'NAME' not found", after the image was built and pushed; an ssh key_data name that is not a
    secret is even used as the key itself.

    When ERB writes `secrets_path`, or a secrets file lies outside the project (a symlink, an absolute
    `secrets_path`), what it defines is unknown and nothing is reported.

    ## How to fix
    Add the name to the secrets file, taking the value from a password manager or the environment:
    `DATABASE_PASSWORD=$(op read op://vault/db/password)`, `DATABASE_PASSWORD=$DATABASE_PASSWORD`, or
    `kamal secrets fetch` / `extract`. Or remove the reference if it is a leftover.
    """
    found = secrets(ctx)
    if not found.known:
        return
    defined = found.names
    read = ", ".join(f.path for f in found.files) or f"none of {', '.join(found.candidates)} exists"
    target = next((c for c in reversed(found.candidates) if any(f.path == c for f in found.files)),
                  found.candidates[-1])
    for reference in references(ctx.view):
        if reference.name in defined:
            continue
        ctx.report(reference.path,
                   f"the secret {reference.name} ({reference.what}) is not defined in any secrets file Kamal reads "
                   f"({read}), so the deploy stops with \"Secret '{reference.name}' not found\": add "
                   f"{reference.name}=$(...) or {reference.name}=${reference.name} to {target}",
                   at="value")
