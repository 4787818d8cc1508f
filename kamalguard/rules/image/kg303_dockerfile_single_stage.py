from ..base import example, rule
from ..hardening.common import cis, owasp
from .common import dockerfile, report_line


@rule(
    id="KG303",
    slug="dockerfile-single-stage",
    severity="info",
    summary="The Dockerfile has no separate build stage, so build tools and sources ship in the image",
    family="image",
    references=[cis("4.3", "Ensure that unnecessary packages are not installed in the container"),
                owasp("RULE #13 - Enhance Supply Chain Security"),
                ("Docker: multi-stage builds", "https://docs.docker.com/build/building/multi-stage/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        FROM ruby:3.3-slim
        RUN apt-get update && apt-get install -y build-essential
        COPY . .
        RUN bundle install
        USER 1000:1000
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        FROM ruby:3.3-slim AS base
        FROM base AS build
        RUN apt-get update && apt-get install -y build-essential
        COPY . .
        RUN bundle install
        FROM base
        COPY --from=build /usr/local/bundle /usr/local/bundle
        USER 1000:1000
    """),
)
def check(ctx):
    """Checks that the Dockerfile has a build stage apart from the final one: a stage the final stage is not
    built `FROM` (directly or through other stages), typically one it copies from (`COPY --from=build`).

    In a single-stage build, compilers, headers, package caches, the source tree and any file the build needed
    (a private registry's token in `.npmrc`, say) stay in the image that runs in production: more code to
    patch, more tools for an intruder, a bigger image to pull on every deploy.

    ## How to fix
    Split the Dockerfile: `FROM ... AS build` installs tools, gems and assets; the final stage starts from the
    slim base and `COPY --from=build` only what runs. Rails' generated Dockerfile does exactly this.
    """
    image = dockerfile(ctx)
    if image is None:
        return
    final = image.final_stage
    chain = {id(stage) for stage in final.ancestors()}
    if any(id(stage) not in chain for stage in image.dockerfile.stages):
        return
    report_line(ctx, image, final.line,
                f"{image.dockerfile_path} builds the image in a single stage (FROM {final.base_image}), so build "
                f"tools and sources ship with the app: build in a separate `FROM ... AS build` stage and COPY "
                f"--from=build only what runs")
