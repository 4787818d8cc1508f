from ...source.scalars import ErbValue
from ..base import example, rule
from ..structural.kg005_missing_key import present


@rule(
    id="KG210",
    slug="proxy-no-ssl",
    severity="info",
    summary="kamal-proxy serves a host name over plain HTTP",
    family="exposure",
    references=[("Kamal proxy configuration: ssl", "https://kamal-deploy.org/docs/configuration/proxy/"),
                ("OWASP Transport Layer Security Cheat Sheet",
                 "https://cheatsheetseries.owasp.org/cheatsheets/Transport_Layer_Security_Cheat_Sheet.html")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        proxy:
          host: app.example.com
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        proxy:
          host: app.example.com
          ssl: true
    """),
)
def check(ctx):
    """Checks that a proxy with a `host` (or `hosts`) also has `ssl`: for each role that runs behind kamal-proxy
    (the root `proxy` merged with the role's own) and each accessory with a `proxy`.

    Without `ssl`, kamal-proxy serves the app over plain HTTP: sessions, passwords and API tokens cross the
    network in clear text and can be read or changed on the way. `ssl: true` has kamal-proxy get and renew a
    Let's Encrypt certificate (on a single server); `ssl: {certificate_pem, private_key_pem}` uses your own.

    ## How to fix
    Set `ssl: true` next to `host`. When TLS ends in front of kamal-proxy (a load balancer, Cloudflare), keep
    `ssl` off, set `forward_headers: true`, and suppress this finding with the reason.
    """
    view = ctx.view
    proxies = []
    for role in view.roles():
        merged = view.role_proxy(role)
        if merged is not None:
            own = isinstance(role.config, dict) and isinstance(role.config.get("proxy"), dict) and \
                any(k in role.config["proxy"] for k in ("host", "hosts", "ssl"))
            proxies.append(((*role.path, "proxy") if own else ("proxy",), merged, role))
    for accessory in view.accessories():
        if isinstance(accessory.config.get("proxy"), dict):
            proxies.append(((*accessory.path, "proxy"), accessory.config["proxy"], accessory))
    reported = set()
    for path, proxy, container in proxies:
        if path in reported or not (present(proxy.get("host")) or present(proxy.get("hosts"))):
            continue
        ssl = proxy.get("ssl")
        if isinstance(ssl, ErbValue) or present(ssl):
            continue
        reported.add(path)
        hosts = proxy.get("host") or ", ".join(str(h) for h in proxy.get("hosts") or [])
        where = (*path, "ssl") if view.has((*path, "ssl")) else (*path, "host") if view.has((*path, "host")) else \
            (*path, "hosts")
        ctx.report(where, f"kamal-proxy serves {hosts} over plain HTTP ({container.label}): set ssl: true for a Let's "
                          f"Encrypt certificate, or, when TLS ends in front of the proxy, forward_headers: true and "
                          f"suppress this with the reason", container=container)
