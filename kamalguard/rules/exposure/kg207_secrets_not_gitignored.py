import posixpath

from ...kamal.secrets import secrets
from ..base import example, rule


@rule(
    id="KG207",
    slug="secrets-not-gitignored",
    severity="error",
    summary="A secrets file with written values is not ignored by git",
    family="exposure",
    references=[("gitignore documentation", "https://git-scm.com/docs/gitignore"),
                ("Kamal environment variables and secrets",
                 "https://kamal-deploy.org/docs/configuration/environment-variables/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        env:
          secret:
            - DATABASE_PASSWORD
    """, secrets="""
        DATABASE_PASSWORD=correct-horse-battery
    """, gitignore="""
        /log/*
        /tmp/*
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
        DATABASE_PASSWORD=correct-horse-battery
    """, gitignore="""
        /log/*
        /.kamal/secrets*
    """),
)
def check(ctx):
    """Checks that a secrets file Kamal reads for this config, and that holds written values (see KG206), is
    ignored by git: by the project's `.gitignore`, or a `.gitignore` in a folder above the file (the deeper one
    wins, as in git). Matching follows gitignore's rules (pathspec's GitIgnoreSpec), `!` negations included.

    Secrets files that only hold references (`$(...)`, `$VAR`) are meant to be committed; one with written
    values puts the secrets in the repository with the next `git add .`.

    Only `.gitignore` files inside the project are read: a rule in a parent repository's `.gitignore`
    (a monorepo), `.git/info/exclude` or a global excludes file is not seen, and a file git already tracks stays
    tracked whatever `.gitignore` says.

    ## How to fix
    Add the file to `.gitignore` (`/.kamal/secrets*`), or better, replace the written values with references
    (KG206) so the file can be shared safely. If the file was ever committed, rotate the values.
    """
    for secrets_file in secrets(ctx).files:
        literals = secrets_file.literals()
        if not literals or _ignored(ctx.project, secrets_file.path):
            continue
        lines = ", ".join(str(a.line) for a in literals)
        ctx.report_span(secrets_file.document, 0, 0,
                        f"{secrets_file.path} holds written secret values (line{'s' if len(literals) > 1 else ''} "
                        f"{lines}) and no .gitignore ignores it, so `git add` commits them: add "
                        f"/{secrets_file.path} to .gitignore, or replace the values with references",
                        line=literals[0].line, column=literals[0].column)


def _ignored(project, path: str) -> bool:
    """Does a .gitignore inside the project ignore `path`? The deepest .gitignore with a matching rule decides."""
    parts = path.split("/")
    ignored = False
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth])
        text = project.read(posixpath.join(folder, ".gitignore") if folder else ".gitignore")
        if text is None:
            continue
        from pathspec import GitIgnoreSpec

        result = GitIgnoreSpec.from_lines(text.splitlines()).check_file("/".join(parts[depth:]))
        if result.index is not None:
            ignored = bool(result.include)
    return ignored
