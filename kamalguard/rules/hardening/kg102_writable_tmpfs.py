from ..base import Fix, example, rule
from .common import (
    APP_WRITABLE_PATHS,
    DOCKER_RUN,
    cis,
    containers,
    deploy,
    fix_edits,
    image_writable_defaults,
    option,
    option_path,
    owasp,
    switched_on,
    uncovered_paths,
)


@rule(
    id="KG102",
    slug="writable-tmpfs",
    severity="error",
    family="hardening",
    summary="A read-only container has no tmpfs or volume for a path it must write",
    references=[cis("5.13", "Ensure that the container's root filesystem is mounted as read only"),
                owasp("RULE #8: Set filesystem and volumes to read-only"),
                ("docker run --tmpfs", DOCKER_RUN + "#tmpfs")],
    fix="safe: add `tmpfs:` entries",
    settings={"writable_paths": APP_WRITABLE_PATHS, "image_writable_paths": image_writable_defaults()},
    failing=example(deploy("""
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              read-only: true
              tmpfs: /tmp
    """), Dockerfile="""
        FROM ruby:3.3-slim
        WORKDIR /app
        CMD ["bin/rails", "server"]
    """),
    passing=example(deploy("""
        volumes:
          - app_storage:/app/storage
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              read-only: true
              tmpfs: [/app/tmp, /tmp]
        accessories:
          db:
            image: postgres:16
            host: 192.0.2.20
            directories: [data:/var/lib/postgresql/data]
            options:
              read-only: true
              tmpfs: [/var/run/postgresql, /tmp]
    """), Dockerfile="""
        FROM ruby:3.3-slim
        WORKDIR /app
        CMD ["bin/rails", "server"]
    """),
)
def check(ctx):
    """Checks that a container with `read-only: true` can still write where it must: each writable path is a
    `tmpfs:` entry or a writable volume (or inside one).

    What counts as writable: options `tmpfs`, `volume` and `mount` (unless `:ro`/`readonly`); for roles the root
    `volumes` and the assets volume (`asset_path`); for accessories their `volumes`, `directories` and `files`.

    The paths, and the settings that change them (`.kamalguard.yml`, `rules: {KG102: ...}`):
    - roles: `writable_paths`, default `<WORKDIR>/tmp` and `/tmp`. `<WORKDIR>` is the WORKDIR of the image Kamal
      builds: the final stage (or `builder.target`) of the Dockerfile named by `builder.dockerfile`; `/rails`
      (Rails' default) when there is no Dockerfile to read.
    - accessories and kamal-proxy: `image_writable_paths`, a map from an accessory's name, or an image's name
      without registry and tag, to its paths; yours are merged over the built-in table below. An image not
      in it gets `/tmp`. The app's Dockerfile does not apply to them.

    | image | paths it writes outside its VOLUMEs |
    |---|---|
    | postgres, pgvector, postgis, timescaledb | /var/run/postgresql (its socket), /tmp |
    | mysql | /var/run/mysqld, /tmp |
    | mariadb | /run/mysqld, /tmp |
    | redis, valkey, mongo, rabbitmq, memcached | /tmp (their data directories are image VOLUMEs) |
    | nginx | /var/cache/nginx, /var/run, /tmp |
    | kamal-proxy | /tmp (its configuration is in a volume Kamal mounts) |

    `/var/run` and `/run` are the same folder in these images.

    ## Why
    A read-only root filesystem (KG101) is only half the job: Rails writes pids, caches and bootsnap files under
    `tmp/`, many libraries write to `/tmp`, postgres puts its socket in `/var/run/postgresql`. Without a tmpfs
    there the container crashes at boot, and the usual "fix" under pressure is to drop `read-only` again.
    CIS Docker Benchmark 1.6 §5.13; OWASP Docker Security Cheat Sheet, rule #8.

    ## How to fix
    Add the missing paths to `tmpfs:` (or mount a volume there when the data must survive a restart):

    ```yaml
    options:
      read-only: true
      tmpfs: [/rails/tmp, /tmp]
    ```

    ## Fix
    Safe: it adds the missing `tmpfs:` entries (a scalar `tmpfs:` becomes a list). Behaviour change: what the
    container writes there lives in memory and is lost when it stops. Nothing is reported (and no fix offered)
    while ERB writes a mount or names the Dockerfile: what is covered is unknown until deploy.

    ## kamal-proxy
    Covered when `proxy.run.options` sets `read-only`: kamal-proxy needs `/tmp`.
    """
    for container in containers(ctx):
        found = option(container, "read-only")
        if found is None or not switched_on(found[1]):
            continue
        missing = uncovered_paths(ctx, container)
        if not missing:
            continue
        paths = ", ".join(missing)
        ctx.report(option_path(container, "tmpfs"),
                   f"{container.label} has a read-only root filesystem but nothing writable at {paths}: add "
                   f"{'it' if len(missing) == 1 else 'them'} to `tmpfs:` (or mount a volume there)",
                   fix=Fix("safe", f"add tmpfs {paths}",
                           f"tmpfs: what the container writes to {paths} is kept in memory and lost when it stops",
                           fix_edits(container, adds={"tmpfs": missing})),
                   container=container)
