from ...source.scalars import ErbValue
from ..base import example, rule
from .common import deploy


@rule(
    id="KG119",
    slug="build-cache",
    severity="info",
    family="hardening",
    summary="The build has no cache (`builder.cache`), so every build starts from scratch",
    references=[("Kamal: builder configuration (cache)", "https://kamal-deploy.org/docs/configuration/builders/"),
                ("Docker: cache storage backends", "https://docs.docker.com/build/cache/backends/")],
    failing=example(deploy("""
        builder:
          arch: amd64
        servers:
          - 192.0.2.10
    """, builder=False)),
    passing=example(deploy("""
        builder:
          arch: amd64
          cache:
            type: registry
            options: mode=max
        servers:
          - 192.0.2.10
    """, builder=False)),
)
def check(ctx):
    """Checks that `builder.cache` is set.

    ## Why
    Kamal builds with a buildx builder of its own. Its local cache is lost whenever the builder is recreated
    (`kamal build remove`, a new CI runner, a new laptop), and a CI runner starts empty every time: each deploy
    then reinstalls every gem and package. A registry or GitHub Actions cache makes unchanged layers a download
    instead of a rebuild. It is also a supply-chain benefit of sorts: rebuilding only what changed means fewer
    moving parts per deploy.

    ## How to fix
    ```yaml
    builder:
      cache:
        type: registry      # or gha, in GitHub Actions
        options: mode=max   # cache the intermediate stages too
    ```

    ## Fix
    None: the right type depends on where you build.
    """
    builder = ctx.view.get(("builder",))
    if isinstance(builder, ErbValue) or (isinstance(builder, dict) and builder.get("cache")):
        return
    ctx.report(("builder", "cache"), "the build has no cache, so each build starts from scratch: add "
               "`builder.cache` (`type: registry` with `options: mode=max`, or `type: gha` in GitHub Actions)")
