from ...source.scalars import ErbValue
from ..base import example, rule


@rule(
    id="KG208",
    slug="ssh-root",
    severity="info",
    summary="Kamal connects to the servers as root",
    family="exposure",
    references=[("Kamal SSH configuration", "https://kamal-deploy.org/docs/configuration/ssh/"),
                ("CIS Distribution Independent Linux Benchmark: disable SSH root login",
                 "https://www.cisecurity.org/benchmark/distribution_independent_linux")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        ssh:
          user: deploy
    """),
)
def check(ctx):
    """Checks `ssh.user`: when it is not set Kamal connects as `root`, and `root` written out is the same.

    A deploy key that logs in as root is a key to the whole server: anyone who gets it (a CI secret, a laptop)
    owns the host, not just the app. A dedicated user in the `docker` group is root-equivalent on the host as
    well, but it lets you disable root login over SSH (`PermitRootLogin no`), audit who deployed, and keep other
    admin access separate.

    ## How to fix
    Create a deploy user on each server, add it to the `docker` group, install the deploy key for it, and set
    `ssh: {user: deploy}`. Then disable root login in `sshd_config`.
    """
    user = ctx.view.get(("ssh", "user"))
    if isinstance(user, ErbValue):
        return
    if user is None:
        ctx.report(("ssh", "user"), "ssh.user is not set, so Kamal connects to every server as root: create a deploy "
                                    "user in the docker group and set ssh: {user: deploy}")
    elif str(user).strip() == "root":
        ctx.report(("ssh", "user"), "ssh.user is root: create a deploy user in the docker group, set ssh.user to it, "
                                    "and disable root login over SSH", at="value")
