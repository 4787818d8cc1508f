import re

from ...kamal.build import FOUND, MISSING, build
from ...source.scalars import ErbValue
from ..base import example, rule
from ..hardening.common import cis

# A Rails route for the default health check: `get "up" => "rails/health#show"`, or any route naming /up.
# compiled on first use (by the re module's cache): only when config/routes.rb is read
_UP_ROUTE = r"""["']/?up["']|rails/health"""
HEALTH_OPTIONS = ("health-cmd", "no-healthcheck")


@rule(
    id="KG211",
    slug="no-healthcheck",
    severity="info",
    summary="A role's health is never checked, or checked at a path the app does not serve",
    family="exposure",
    references=[cis("5.27", "Ensure that container health is checked at runtime"),
                cis("4.6", "Ensure that HEALTHCHECK instructions have been added to container images"),
                ("Kamal proxy configuration: healthcheck", "https://kamal-deploy.org/docs/configuration/proxy/"),
                ("Dockerfile reference: HEALTHCHECK", "https://docs.docker.com/reference/dockerfile/#healthcheck")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            - 192.0.2.10
          job:
            hosts:
              - 192.0.2.11
            cmd: bin/jobs
    """, Dockerfile="""
        FROM ruby:3.3-slim
        USER 1000:1000
    """, **{"config/routes.rb": """
        Rails.application.routes.draw do
          get "up" => "rails/health#show", as: :rails_health_check
        end
    """}),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            - 192.0.2.10
          job:
            hosts:
              - 192.0.2.11
            cmd: bin/jobs
            options:
              health-cmd: "pgrep -f solid-queue"
    """, Dockerfile="""
        FROM ruby:3.3-slim
        USER 1000:1000
    """, **{"config/routes.rb": """
        Rails.application.routes.draw do
          get "up" => "rails/health#show", as: :rails_health_check
        end
    """}),
)
def check(ctx):
    """Checks that every role's health is checked:

    - a role behind kamal-proxy that leaves `proxy.healthcheck.path` at its default, `/up`, in a Rails app
      (`config/routes.rb`) whose routes define no `/up`: kamal-proxy then never sees the new version healthy,
      and the deploy fails after the deploy timeout. (Other frameworks' routes are not read.)
    - a role without kamal-proxy (a job worker, say) with neither `options: {health-cmd: ...}` nor a
      `HEALTHCHECK` in the Dockerfile's final stage: Docker then calls a hung or crash-looping process healthy,
      and Kamal boots it on every host without waiting for it to work.

    ## How to fix
    For a proxied role, add the route (`get "up" => "rails/health#show"`) or point `proxy.healthcheck.path` at
    one the app serves. For other roles, give a command that fails when the process is stuck, e.g.
    `options: {health-cmd: "pgrep -f solid_queue", health-interval: 10s}`, or add a `HEALTHCHECK` to the
    Dockerfile. `no-healthcheck: true` records a deliberate choice.
    """
    view = ctx.view
    routes = _rails_routes(ctx.project)
    image = build(ctx)
    image_checks = image.dockerfile_state == FOUND and image.final_stage is not None and \
        image.final_stage.healthcheck not in (None, "NONE")
    for role in view.roles():
        proxy = view.role_proxy(role)
        if proxy is not None:
            healthcheck = proxy.get("healthcheck")
            path = healthcheck.get("path") if isinstance(healthcheck, dict) else None
            if path is None and routes is not None and not re.search(_UP_ROUTE, routes):
                where = (*role.path, "proxy") if view.has((*role.path, "proxy")) else ("proxy",)
                ctx.report(where, f"kamal-proxy checks GET /up before it sends traffic to a new version of "
                                  f"{role.label}, but config/routes.rb defines no /up, so the deploy times out: add "
                                  f"get \"up\" => \"rails/health#show\", or set proxy.healthcheck.path",
                           container=role)
            continue
        if image_checks or image.dockerfile_state not in (FOUND, MISSING):
            continue
        if any(key in role.options for key in HEALTH_OPTIONS) or isinstance(role.config, ErbValue):
            continue
        ctx.report(role.path, f"{role.label} runs without kamal-proxy and nothing checks its health (no health-cmd "
                              f"option, no HEALTHCHECK in the Dockerfile), so a stuck process counts as running: add "
                              f"options: {{health-cmd: ...}} that fails when it is stuck", container=role)


def _rails_routes(project) -> str | None:
    """The text of config/routes.rb and its drawn files (config/routes/*.rb); None when this is not a Rails app."""
    if project is None:
        return None
    main = project.read("config/routes.rb")
    if main is None:
        return None
    drawn = [project.read(f"config/routes/{name}") or "" for name in project.listdir("config/routes")
             if name.endswith(".rb")]
    return "\n".join([main, *drawn])
