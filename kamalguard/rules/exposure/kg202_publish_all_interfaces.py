from ...source.scalars import ErbValue
from ..base import example, rule
from ..hardening.common import cis
from .common import ALL_INTERFACES, DOCKER_PORTS, DOCKER_UFW, parse_publish

PUBLISH_KEYS = ("publish", "p")
PUBLISH_ALL_KEYS = ("publish-all", "P")


@rule(
    id="KG202",
    slug="publish-all-interfaces",
    severity="warning",
    summary="A container publishes a port on every interface of its host",
    family="exposure",
    references=[cis("5.14", "Ensure that incoming container traffic is bound to a specific host interface"),
                ("Docker: packet filtering and firewalls (Docker and ufw)", DOCKER_UFW),
                ("Docker: port publishing", DOCKER_PORTS),
                ("Kamal proxy configuration", "https://kamal-deploy.org/docs/configuration/proxy/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts:
              - 192.0.2.10
            options:
              publish:
                - "3000:3000"
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts:
              - 192.0.2.10
            options:
              publish:
                - "127.0.0.1:3000:3000"
    """),
)
def check(ctx):
    """Checks the ports a role, an accessory or kamal-proxy publishes through `options` (`publish`, `p`,
    `publish-all`), and `proxy.run.bind_ips`, for a publication on every interface: a spec without a host address
    (`"3000:3000"`, `"3000"`), or one bound to `0.0.0.0` / `[::]`, and `publish-all`, which publishes every
    EXPOSEd port on every interface.

    Kamal's apps are meant to be reached through kamal-proxy; a port published by hand bypasses it (no TLS, no
    host routing) and, because Docker's iptables rules come before ufw's and firewalld's, a host firewall does not
    close it. kamal-proxy itself publishes 80 and 443 on every interface by default, as it should; writing
    `bind_ips: [0.0.0.0]` is the same, so it is reported only to make sure it is deliberate (an accessory's
    `port` is KG201).

    ## How to fix
    Publish on loopback (`"127.0.0.1:3000:3000"`) or a private address, or drop the option and go through
    kamal-proxy. For kamal-proxy, list the addresses it should listen on in `proxy.run.bind_ips`.
    """
    view = ctx.view
    for container in view.containers():
        for key in PUBLISH_KEYS:
            value = container.options.get(key)
            specs = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, spec in specs:
                publish = parse_publish(spec)
                if publish is None or not publish.every_interface:
                    continue
                path = (*container.options_path, key) + ((index,) if index is not None else ())
                ctx.report(path, f"{container.label} publishes {publish.host or 'a random port'}:{publish.container}"
                                 f"{publish.protocol} "
                                 f"on every interface of its host, past kamal-proxy and past host firewalls (Docker's "
                                 f"rules bypass ufw): publish on an address, e.g. "
                                 f"\"{publish.on('127.0.0.1')}\", or go through kamal-proxy",
                           container=container, at="value")
        for key in PUBLISH_ALL_KEYS:
            if container.options.get(key) is True:
                ctx.report((*container.options_path, key),
                           f"{container.label} sets {key}, which publishes every EXPOSEd port on every interface of "
                           f"its host: remove it and publish the ports you need on an address",
                           container=container)
    bind_ips = view.get(("proxy", "run", "bind_ips"))
    for index, address in enumerate(bind_ips if isinstance(bind_ips, list) else []):
        if isinstance(address, str) and not isinstance(address, ErbValue) and address.strip() in ALL_INTERFACES:
            ctx.report(("proxy", "run", "bind_ips", index),
                       f"proxy.run.bind_ips lists {address}: kamal-proxy listens on every interface of every host "
                       f"(as it does by default); list the addresses it should serve on if that is not intended",
                       container=view.proxy(), at="value")
