from ...kamal.build import MISSING, build
from ...source.dockerfile import ROOT_USERS
from ...source.scalars import ErbValue
from ..base import example, rule
from ..hardening.common import cis, owasp
from .common import dockerfile, report_line

USER_OPTIONS = ("user", "u")


@rule(
    id="KG301",
    slug="dockerfile-root-user",
    severity="warning",
    summary="The image runs as root: the Dockerfile's final stage has no USER, or USER root",
    family="image",
    references=[cis("4.1", "Ensure that a user for the container has been created"),
                owasp("RULE #2 - Set a user"),
                ("Dockerfile reference: USER", "https://docs.docker.com/reference/dockerfile/#user")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        FROM ruby:3.3-slim AS build
        RUN bundle install
        FROM ruby:3.3-slim
        COPY --from=build /usr/local/bundle /usr/local/bundle
        CMD ["bin/rails", "server"]
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        FROM ruby:3.3-slim AS build
        RUN bundle install
        FROM ruby:3.3-slim
        COPY --from=build /usr/local/bundle /usr/local/bundle
        RUN useradd rails --create-home --shell /bin/bash
        USER 1000:1000
        CMD ["bin/rails", "server"]
    """),
)
def check(ctx):
    """Checks the user the app image runs as: the last `USER` in effect in the final stage of the Dockerfile
    Kamal builds (`builder.dockerfile`, default `Dockerfile` at the project root; the stage named by
    `builder.target`, else the last one; a stage built `FROM` an earlier stage inherits its USER). No `USER` at
    all means root, unless the base image is a `nonroot` variant (such as distroless' `:nonroot`). `USER 0` and
    `USER root:...` are root. A USER given by a build argument kamalguard cannot see is not judged, and neither
    is an image whose every role sets a non-root `user` option.

    A process running as root in the container is root on the host's kernel: one bug in the app (a file upload
    path, a deserialisation) plus one container escape and the host is taken; it can also write anywhere in the
    image, and in any volume.

    A missing Dockerfile is reported here too: `kamal build` fails with "Missing Dockerfile".

    ## How to fix
    Create a user and switch to it at the end of the final stage:
    `RUN useradd rails --create-home --shell /bin/bash && chown -R rails:rails db log storage tmp` then
    `USER 1000:1000` (a numeric id also lets Kubernetes-style checks prove it is not root).
    """
    image = build(ctx)
    if image.dockerfile_state == MISSING:
        where = ("builder", "dockerfile") if ctx.view.has(("builder", "dockerfile")) else ("builder",)
        ctx.report(where, f"there is no {image.dockerfile_path} in the project, so `kamal build` fails with \"Missing "
                          f"{image.dockerfile_path}\": add it, or point builder.dockerfile at the Dockerfile")
        return
    image = dockerfile(ctx)
    if image is None or _every_role_sets_a_user(ctx.view):
        return
    stage = image.final_stage
    if stage.runs_as_root is not True:
        return
    if stage.user is None:
        report_line(ctx, image, stage.line,
                    f"the final stage of {image.dockerfile_path} (FROM {stage.image}, line {stage.line}) sets no USER, "
                    f"so the app runs as root in the container: create a user and add USER 1000:1000 (or its name) "
                    f"at the end of the stage")
    else:
        report_line(ctx, image, stage.user_line,
                    f"{image.dockerfile_path} line {stage.user_line}: the final stage runs as {stage.user}, so the app "
                    f"runs as root in the container: switch to an unprivileged user, e.g. USER 1000:1000")


def _every_role_sets_a_user(view) -> bool:
    """Does every role override the image's user with a non-root `user` option?"""
    roles = view.roles()
    return bool(roles) and all(any(_non_root(role.options.get(key)) for key in USER_OPTIONS) for role in roles)


def _non_root(value) -> bool:
    if value is None or isinstance(value, (bool, ErbValue)):
        return False
    return str(value).split(":", 1)[0].strip() not in ROOT_USERS
