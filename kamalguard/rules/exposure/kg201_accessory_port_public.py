from ...fix.edits import SetKey
from ..base import Fix, example, rule
from ..hardening.common import cis, owasp
from .common import DOCKER_PORTS, DOCKER_UFW, parse_publish


@rule(
    id="KG201",
    slug="accessory-port-public",
    severity="error",
    summary="An accessory's port is published on every interface of its host",
    family="exposure",
    fix="unsafe",
    references=[cis("5.14", "Ensure that incoming container traffic is bound to a specific host interface"),
                owasp("RULE #5a - Be mindful of inter-container connectivity"),
                ("Docker: packet filtering and firewalls (Docker and ufw)", DOCKER_UFW),
                ("Docker: port publishing", DOCKER_PORTS)],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        accessories:
          db:
            image: postgres:16.4
            host: 192.0.2.10
            port: 5432
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        accessories:
          db:
            image: postgres:16.4
            host: 192.0.2.10
            port: "127.0.0.1:5432:5432"
    """),
)
def check(ctx):
    """Checks that an accessory's `port` names the host address it binds.

    Kamal turns `port: 5432` into `docker run --publish 5432:5432`, and `"5432:5432"` is passed as written: both
    publish the port on **every** interface of the host, the public one included. Docker writes its own iptables
    rules for published ports, ahead of ufw's and firewalld's, so a host firewall that "denies everything" does not
    protect the port: the database, Redis or search engine is open to the internet, often with a default
    password. `0.0.0.0:` and `[::]:` are the same thing spelled out.

    ## How to fix
    The app reaches an accessory on the same host over Kamal's Docker network (`myapp-db:5432`) without any
    published port: remove `port` if nothing else connects. Bind it to loopback (`"127.0.0.1:5432:5432"`) for
    tools on the host itself, or to a private address (`"10.0.0.5:5432:5432"`) when apps on other hosts connect
    over a private network.

    ## Fix safety
    Unsafe: the fix binds the port to 127.0.0.1. Clients on other hosts lose access, which is what you want for
    the public internet but not for app servers on a private network: bind a private address for those instead.
    """
    for accessory in ctx.view.accessories():
        path = (*accessory.path, "port")
        publish = parse_publish(accessory.config.get("port"))
        if publish is None or not publish.every_interface:
            continue
        loopback = publish.on("127.0.0.1")
        spelled = "every interface" if not publish.address else f"{publish.address} (every interface)"
        ctx.report(
            path,
            f"{accessory.label} publishes port {publish.host or publish.container} on {spelled} of its host, and "
            f"Docker's rules bypass host firewalls such as ufw: bind it, e.g. port: \"{loopback}\" (or a private "
            f"address), or remove it if only the app connects (over the Docker network)",
            container=accessory, at="value",
            fix=Fix("unsafe", f"bind the port to loopback: {loopback}",
                    "clients on other hosts can no longer connect; bind a private address instead if apps on other "
                    "hosts need it",
                    (SetKey(accessory.path, "port", loopback),)),
        )
