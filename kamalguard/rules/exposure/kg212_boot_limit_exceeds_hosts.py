import re

from ..base import example, rule
from .common import deploy_hosts


@rule(
    id="KG212",
    slug="boot-limit-exceeds-hosts",
    severity="warning",
    summary="boot.limit is larger than the number of hosts, so deploys are not rolling",
    family="exposure",
    references=[("Kamal boot configuration", "https://kamal-deploy.org/docs/configuration/booting/"),
                ("kamal-lint: boot-limit-exceeds-hosts", "https://github.com/davafons/kamal-lint")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
          - 192.0.2.11
        boot:
          limit: 5
          wait: 10
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
          - 192.0.2.11
          - 192.0.2.12
        boot:
          limit: 1
          wait: 10
    """),
)
def check(ctx):
    """Checks that `boot.limit` (how many hosts Kamal boots the new version on at a time) is not larger than the
    number of distinct hosts the roles deploy to. A percentage (`"25%"`) is a share of the hosts, at least one,
    so only one above 100% can be too large.

    A limit above the host count has no effect: every host boots the new version at once, so a version that
    fails its health check takes the whole app down instead of one batch. It usually means hosts were removed,
    or the value was copied from another app. (A limit equal to the host count is the same, but can be a
    deliberate choice, and is not reported.)

    ## How to fix
    Lower `boot.limit` below the host count (e.g. `limit: 1`, or `"25%"`), with a `wait` between batches.
    """
    limit = ctx.view.get(("boot", "limit"))
    hosts = deploy_hosts(ctx.view)
    if not hosts or isinstance(limit, bool):
        return
    if isinstance(limit, int):
        batch, written = limit, str(limit)
    elif isinstance(limit, str) and re.fullmatch(r"\s*\d+\s*%\s*", limit):
        percent = int(limit.strip().rstrip("%"))
        batch, written = max(len(hosts) * percent // 100, 1), f"{limit.strip()} ({len(hosts) * percent // 100} hosts)"
    else:
        return
    if batch > len(hosts):
        ctx.report(("boot", "limit"), f"boot.limit is {written} but the roles deploy to {len(hosts)} "
                                      f"host{'s' if len(hosts) != 1 else ''}, so every host boots the new version at "
                                      f"once: lower it below {len(hosts)} (with a boot.wait) for a rolling deploy",
                   at="value")
