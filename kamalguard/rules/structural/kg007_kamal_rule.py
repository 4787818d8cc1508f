import os
import re

from ...kamal.view import slash
from ...source.scalars import ErbValue
from ..base import example, rule
from .kg005_missing_key import local_registry, present

KAMAL_VERSION = (2, 11, 0)
# `kamal help`: an alias may not shadow one of these
KAMAL_COMMANDS = {
    "accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help", "init", "lock", "proxy",
    "prune", "redeploy", "registry", "remove", "rollback", "secrets", "server", "setup", "tree", "upgrade",
    "version",
}
RESERVED_LABELS = ("destination", "role", "service")


def _unknown(value) -> bool:
    """A value Kamal only knows at deploy time (written by ERB), which no check may judge."""
    return isinstance(value, ErbValue) or (isinstance(value, list) and any(isinstance(v, ErbValue) for v in value))


def _custom_certificate(proxy: dict) -> bool:
    ssl = proxy.get("ssl")
    return isinstance(ssl, dict) and present(ssl.get("certificate_pem")) and present(ssl.get("private_key_pem"))


def _version(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.findall(r"\d+|[a-z]+", str(text).lower()))


def _destination(view):
    if view.get(("require_destination",)) not in (None, False) and view.destination is None:
        yield ("require_destination",), (
            "require_destination is set, so Kamal refuses to run without a destination: "
            "check with -d NAME (or --all-destinations)"
        )


def _roles(view):
    servers = view.get(("servers",))
    if servers is None or _unknown(servers) or not isinstance(servers, (list, dict)):
        return
    roles = {role.name: role for role in view.roles()}
    primary = view.primary_role_name()
    if primary not in roles:
        where = ("primary_role",) if view.has(("primary_role",)) else ("servers",)
        yield where, f"The primary_role {primary} isn't defined: add a `{primary}` role under servers " \
                     f"(or set primary_role to one of: {', '.join(roles) or 'none'})"
        return
    allow_empty = view.get(("allow_empty_roles",)) not in (None, False)
    for name, role in roles.items():
        hosts = view.role_hosts(role)
        if hosts is None or hosts:
            continue
        if name == primary:
            yield role.path, f"No servers specified for the {name} primary_role: list its hosts"
        elif not allow_empty:
            yield role.path, (f"No servers specified for the {name} role: list its hosts, or set "
                              f"allow_empty_roles: true")


def _service_name(view):
    service = view.get(("service",))
    if service is None or isinstance(service, ErbValue):
        return
    if not (isinstance(service, str) and re.fullmatch(r"[a-z0-9_-]+", service, re.I)):
        yield ("service",), (f"service name {service!r} can only include alphanumeric characters, hyphens, and "
                             f"underscores: it becomes part of every container's name")


def _versions(view):
    minimum = view.get(("minimum_version",))
    if present(minimum) and not isinstance(minimum, ErbValue) and _version(minimum) > KAMAL_VERSION:
        yield ("minimum_version",), (f"minimum_version {minimum} is newer than Kamal 2.11.0, which this check "
                                     f"follows; Kamal 2.11 refuses this config")
    retain = view.get(("retain_containers",))
    if isinstance(retain, int) and not isinstance(retain, bool) and retain < 1:
        yield ("retain_containers",), "retain_containers must be at least 1 (Kamal: Must retain at least 1 container)"


def _hooks(view, project):
    hooks = view.get(("hooks_path",)) or ".kamal/hooks"
    if project is None or not isinstance(hooks, str) or isinstance(hooks, ErbValue):
        return
    folder = project.resolve(hooks)  # never outside the project
    if folder is None:
        return
    found = [h for h in ("pre-traefik-reboot", "post-traefik-reboot") if os.path.isfile(os.path.join(folder, h))]
    if found:
        yield ("hooks_path",), (f"{hooks}/ has {', '.join(found)}: Kamal 2 refuses them; rename them to "
                                f"pre-proxy-reboot / post-proxy-reboot")


def _ssl(view):
    owners: dict[str, list[str]] = {}
    for role in view.roles():
        proxy = view.role_proxy(role)
        if proxy is None or not proxy.get("ssl") or _unknown(proxy.get("ssl")):
            continue
        hosts = view.role_hosts(role)
        if hosts and len(hosts) > 1 and not _custom_certificate(proxy):
            yield (*role.path, "proxy") if view.has((*role.path, "proxy")) else ("proxy", "ssl"), (
                f"SSL is only supported on a single server unless you provide custom certificates, found "
                f"{len(hosts)} servers for role {role.name}: use one host, or set ssl.certificate_pem/private_key_pem"
            )
        names = proxy.get("hosts") or (proxy["host"].split(",") if isinstance(proxy.get("host"), str) else [])
        for name in names if isinstance(names, list) else []:
            owners.setdefault(str(name), []).append(role.name)
    for host, roles in owners.items():
        if len(roles) > 1:
            yield ("proxy",), f"Different roles can't share the same host for SSL: {host} ({', '.join(roles)})"


def _registry_builder(view):
    registry = view.get(("registry",))
    remote = view.get(("builder", "remote"))
    if local_registry(registry) and isinstance(remote, str) and remote and not isinstance(remote, ErbValue):
        arches = view.get(("builder", "arch"))
        several = isinstance(arches, list) and len(arches) > 1
        if (several or view.get(("builder", "local")) is False) and not remote.startswith("ssh:"):
            yield ("builder", "remote"), ("a local registry with a remote builder needs an SSH URL "
                                          "(e.g. ssh://user@host)")


def _proxy_runs(view):
    runs: dict[str, set] = {}
    for role in view.roles():
        proxy = view.role_proxy(role)
        run = proxy.get("run") if proxy else None
        if present(run):
            for host in view.role_hosts(role) or []:
                runs.setdefault(host, set()).add(repr(run))
    for host, configs in runs.items():
        if len(configs) > 1:
            yield ("proxy", "run"), f"Conflicting proxy run configurations for host {host}: make them identical"


def _hooks_output(view):
    value = view.get(("hooks_output",))
    levels = value.items() if isinstance(value, dict) else [(None, value)] if isinstance(value, str) else []
    for hook, level in levels:
        if isinstance(level, str) and not isinstance(level, ErbValue) and level.lstrip(":") not in ("quiet", "verbose"):
            path = ("hooks_output", hook) if hook else ("hooks_output",)
            yield path, f"invalid hooks_output '{level}': must be one of quiet, verbose"


def _containers(view):
    role_names = {role.name for role in view.roles()}
    for container in [*view.roles(), *view.accessories()]:
        config = container.config if isinstance(container.config, dict) else {}
        labels = config.get("labels")
        for label in labels if isinstance(labels, dict) else {}:
            if label in RESERVED_LABELS:
                yield (*container.path, "labels", label), (
                    f"{slash((*container.path, 'labels', label))}: invalid label. destination, role, and service "
                    f"are reserved labels (Kamal sets them)")
        options = config.get("options")
        if isinstance(options, dict) and options.get("restart") not in (None, False):
            yield (*container.path, "options", "restart"), (
                "Cannot set restart policy in docker options, unless-stopped is required: remove `restart`")
        if container.kind != "accessory":
            continue
        wanted = config.get("roles") if isinstance(config.get("roles"), list) else None
        if wanted is not None:
            missing = [str(r) for r in wanted if not _unknown(r) and str(r) not in role_names]
            if missing:
                yield (*container.path, "roles"), f"{slash(container.path)}: unknown roles {', '.join(missing)}"
        elif present(config.get("role")) and not _unknown(config.get("role")) and str(config["role"]) not in role_names:
            yield (*container.path, "role"), f"{slash(container.path)}: unknown role {config['role']}"


def _aliases(view):
    aliases = view.get(("aliases",))
    for name in aliases if isinstance(aliases, dict) else {}:
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            yield ("aliases", name), (f"Invalid alias name: '{name}'. Must only contain lowercase letters, "
                                      f"alphanumeric, hyphens and underscores.")
        elif name in KAMAL_COMMANDS:
            yield ("aliases", name), f"Alias '{name}' conflicts with a built-in command."


CHECKS = (_destination, _roles, _service_name, _versions, _ssl, _registry_builder, _proxy_runs, _hooks_output,
          _containers, _aliases)


@rule(
    id="KG007",
    slug="kamal-rule",
    severity="error",
    summary="The config breaks one of Kamal's own consistency rules",
    references=[("Kamal configuration reference", "https://kamal-deploy.org/docs/configuration/overview/"),
                ("Kamal roles", "https://kamal-deploy.org/docs/configuration/roles/")],
    failing=example("""
        service: my app
        image: myorg/myapp
        servers:
          workers:
            - 192.0.2.10
        accessories:
          db:
            image: postgres:16
            roles: [web]
    """),
    passing=example("""
        service: my-app
        image: myorg/myapp
        servers:
          web:
            - 192.0.2.10
        accessories:
          db:
            image: postgres:16
            roles: [web]
    """),
)
def check(ctx):
    """Checks the rules Kamal 2.11 enforces in code, beyond the shape of each section (which the schema
    covers):

    - the primary role (`primary_role`, default `web`) exists and has hosts; no role is empty unless
      `allow_empty_roles: true`;
    - the service name matches `[a-z0-9_-]+` (any case);
    - `proxy.ssl` (automatic Let's Encrypt) runs on a single host per role, unless custom certificates are
      given, and roles don't share an SSL host;
    - `restart` is not set in `options` (Kamal needs `unless-stopped`);
    - labels `service`, `role` and `destination` are reserved;
    - accessories' `role`/`roles` name roles that exist;
    - `require_destination: true` means a run without `-d` fails;
    - `minimum_version` is met by 2.11, `retain_containers` is at least 1, `hooks_output` levels are
      quiet/verbose, alias names are valid and don't shadow a command, proxy `run` settings agree per host,
      a local registry with a remote builder uses an SSH URL, and no `pre-traefik-reboot` hooks remain.

    Values written by ERB are unknown until deploy time and are not judged.

    ## How to fix
    Each message says what Kamal expects.
    """
    view = ctx.view
    for check_part in CHECKS:
        for path, message in check_part(view):
            ctx.report(path, message)
    for path, message in _hooks(view, ctx.project):
        ctx.report(path, message)
