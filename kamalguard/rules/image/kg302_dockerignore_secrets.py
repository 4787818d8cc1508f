import os
import posixpath

from ...fix.edits import AppendLines
from ...kamal.build import FOUND, MISSING, build
from ...kamal.project import display_path
from ..base import Fix, example, rule
from ..hardening.common import cis, owasp

# (pattern to append, paths it must leave out of the build context, how bad it is when they are copied)
REQUIRED = (
    ("/.env*", (".env", ".env.production"), "warning"),
    ("/config/master.key", ("config/master.key",), "error"),
    ("/config/credentials/*.key", ("config/credentials/production.key",), "warning"),
    ("/.kamal/secrets*", (".kamal/secrets", ".kamal/secrets-common", ".kamal/secrets.production"), "error"),
    ("/.git", (".git/config", ".git/HEAD"), "warning"),
)
# Only a build context at the project root holds the project's .kamal/ and .git/.
ROOT_ONLY = ("/.kamal/secrets*", "/.git")


@rule(
    id="KG302",
    slug="dockerignore-secrets",
    severity="error",
    summary=".dockerignore lets secrets (master key, .env, .kamal/secrets, .git) into the build context",
    family="image",
    fix="safe",
    references=[cis("4.10", "Ensure secrets are not stored in Dockerfiles"),
                owasp("RULE #12 - Utilize Docker Secrets for Sensitive Data Management"),
                ("Docker: .dockerignore files", "https://docs.docker.com/build/concepts/context/#dockerignore-files")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, dockerignore="""
        /log/*
        /tmp/*
        /.env*
        !/.env.production
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, dockerignore="""
        /.git
        /log/*
        /.env*
        !/.env.example
        /config/master.key
        /config/credentials/*.key
        /.kamal/secrets*
    """),
)
def check(ctx):
    """Checks that the `.dockerignore` BuildKit uses for Kamal's build (`<Dockerfile>.dockerignore` next to the
    Dockerfile, else `.dockerignore` in `builder.context`) leaves out of the build context: `.env*`,
    `config/master.key`, `config/credentials/*.key`, `.kamal/secrets*` and `.git` (the last two when the
    context is the project root). Matching follows Docker's rules: patterns are relative to the context root,
    the last matching pattern wins, `!` re-includes.

    Everything in the build context can be copied into the image by a `COPY . .`, and the image goes to a
    registry that more people (and CI systems) can read than your repository's secrets. `config/master.key`
    decrypts every Rails credential; `.kamal/secrets` holds (or fetches) the deploy secrets. With no
    `builder.context`, Kamal builds from a fresh git clone, where untracked files are absent: `.dockerignore`
    is then the second line of defence, and the first one with `context: .`. Missing `master.key` or
    `.kamal/secrets*` is an error; the rest is a warning. No `.dockerignore` at all is an error.

    ## How to fix
    Add the patterns to `.dockerignore`. Keep templates with a negation after them (`!/.env.example`).

    ## Fix safety
    Safe: the fix appends the missing patterns (creating `.dockerignore` when there is none); a path that a
    `!` pattern re-includes on purpose is left alone and only reported. A Dockerfile that copies one of those
    files by name would then fail to build, which is the point.
    """
    image = build(ctx)
    if image.dockerignore_state not in (FOUND, MISSING):
        return
    ignore = image.dockerignore
    missing, reincluded = [], []  # (pattern, severity); (pattern, severity, the `!` rule that re-includes it)
    for pattern, paths, severity in REQUIRED:
        if pattern in ROOT_ONLY and image.context != ".":
            continue
        decisions = [ignore.check(p) if ignore else (False, None) for p in paths]
        if all(excluded for excluded, _ in decisions):
            continue
        negation = next((rule for excluded, rule in decisions if not excluded and rule is not None), None)
        if negation is None:
            missing.append((pattern, severity))
        else:
            reincluded.append((pattern, severity, negation))
    if not missing and not reincluded:
        return
    names = ", ".join(p for p, _ in missing)
    fix = None
    folder = posixpath.dirname(image.dockerignore_path) or "."
    if missing and ctx.project.resolve(folder) is not None:  # no fix creates a file in a missing build context
        shown = display_path(os.path.join(ctx.project.root, image.dockerignore_path))
        lines = tuple(p for p, _ in missing)
        fix = Fix("safe", f"append {names} to {image.dockerignore_path}",
                  "those files are no longer sent to the build, so no COPY can put them in the image",
                  (AppendLines(shown, lines),))
    if ignore is None:
        where = ("builder", "context") if ctx.view.has(("builder", "context")) else ("builder",)
        ctx.report(where, f"there is no {image.dockerignore_path}, so the whole build context, secrets included "
                          f"({names}), can be copied into the image: add one that excludes them", fix=fix)
        return
    messages = [f"{image.dockerignore_path} does not exclude {names}, so they can be copied into the image: add "
                f"{'them' if len(missing) > 1 else 'it'}"] if missing else []
    messages += [f"{pattern} is re-included by `{negation.pattern}` on line {negation.line}: make sure that is meant "
                 f"to ship in the image" for pattern, _, negation in reincluded]
    severity = "error" if any(s == "error" for _, s, *_ in missing + reincluded) else "warning"
    ctx.report_span(ctx.file_document(image.dockerignore_path), 0, 0, "; ".join(messages), line=1, column=1,
                    severity=severity, fix=fix)
