import re

from ...redact import env_blocks
from ..base import example, rule
from .common import dockerfile, report_line

_RUBY_IMAGE = re.compile(r"(?:^|/)ruby(?::|@|$)", re.I)


@rule(
    id="KG304",
    slug="ruby-runtime-tuning",
    severity="info",
    summary="A Ruby image runs with neither jemalloc nor YJIT",
    family="image",
    references=[("Ruby YJIT", "https://docs.ruby-lang.org/en/master/yjit/yjit_md.html"),
                ("Rails' Dockerfile template (jemalloc)",
                 "https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/"
                 "Dockerfile.tt"),
                ("jemalloc tuning (MALLOC_CONF)", "https://github.com/jemalloc/jemalloc/blob/dev/TUNING.md")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        ARG RUBY_VERSION=3.3.6
        FROM docker.io/library/ruby:$RUBY_VERSION-slim
        ENV RAILS_ENV=production
        USER 1000:1000
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """, Dockerfile="""
        ARG RUBY_VERSION=3.3.6
        FROM docker.io/library/ruby:$RUBY_VERSION-slim
        RUN apt-get update && apt-get install -y libjemalloc2
        ENV RAILS_ENV=production \\
            LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
        USER 1000:1000
    """),
)
def check(ctx):
    """Checks an image built on the official `ruby` image for runtime tuning: jemalloc (`LD_PRELOAD` naming
    libjemalloc, or `MALLOC_CONF`) or YJIT (`RUBY_YJIT_ENABLE`, or `--yjit` in `RUBYOPT`), set by `ENV` in the
    final stage or in the deploy file's env, or exported by the image's entrypoint script when that script is a
    file of the project (Rails 7.1's `bin/docker-entrypoint` preloads an installed libjemalloc). It speaks only
    when neither is set: Rails 7.2+ turns YJIT on from
    its own config, so one of the two is enough to show the runtime was tuned on purpose.

    With glibc's malloc, a multi-threaded Ruby (Puma, Sidekiq, Solid Queue) fragments memory and its resident
    size keeps growing; jemalloc usually cuts it by a third or more. YJIT makes Rails apps noticeably faster
    for a little memory. Both only need an environment variable.

    ## How to fix
    Install `libjemalloc2` in the final stage and set `ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so` (Rails'
    template links it there), and/or `ENV RUBY_YJIT_ENABLE=1`.
    """
    image = dockerfile(ctx)
    if image is None:
        return
    final = image.final_stage
    if not _RUBY_IMAGE.search(final.base_image):
        return
    env = dict(final.env)
    for _, _, clear in env_blocks(ctx.view):
        env.update({str(k): str(v) for k, v in clear.items()})
    jemalloc = "jemalloc" in env.get("LD_PRELOAD", "") or bool(env.get("MALLOC_CONF")) or \
        _entrypoint_preloads_jemalloc(ctx, final)
    yjit = bool(env.get("RUBY_YJIT_ENABLE")) or "--yjit" in env.get("RUBYOPT", "")
    if jemalloc or yjit:
        return
    report_line(ctx, image, final.line,
                f"{image.dockerfile_path} runs Ruby ({final.base_image}) with glibc malloc and without YJIT: install "
                f"libjemalloc2 and set ENV LD_PRELOAD to it, and/or ENV RUBY_YJIT_ENABLE=1 (unless Rails 7.2+ "
                f"enables YJIT from its config)")


def _entrypoint_preloads_jemalloc(ctx, stage) -> bool:
    """Rails 7.1's bin/docker-entrypoint exports LD_PRELOAD itself when libjemalloc is installed: read the
    entrypoint script, when it is a file of the project copied into the image."""
    while stage is not None:
        entry = next((i for i in reversed(stage.instructions) if i.keyword == "ENTRYPOINT"), None)
        if entry is not None:
            break
        stage = stage.parent
    if entry is None:
        return False
    words = re.findall(r'"([^"]*)"', entry.args) if entry.args.lstrip().startswith("[") else entry.args.split()
    if not words:
        return False
    script = words[0]
    workdir = stage.workdir.rstrip("/") + "/"
    relative = script[len(workdir):] if script.startswith(workdir) else script.lstrip("./")
    if relative.startswith("/"):
        return False  # a file of the image itself, not of the project
    text = ctx.project.read(relative) or ""
    return "LD_PRELOAD" in text and "jemalloc" in text
