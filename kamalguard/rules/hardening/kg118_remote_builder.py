from ...source.scalars import ErbValue
from ..base import example, rule
from .common import builder_arches, canonical_arch, deploy


@rule(
    id="KG118",
    slug="remote-builder",
    severity="info",
    family="hardening",
    summary="A multi-architecture build has no `builder.remote`, so all but one architecture are emulated",
    references=[("Kamal: builder configuration (remote)", "https://kamal-deploy.org/docs/configuration/builders/"),
                ("Docker: multi-platform builds (strategies)",
                 "https://docs.docker.com/build/building/multi-platform/#strategies")],
    failing=example(deploy("""
        builder:
          arch: [amd64, arm64]
        servers:
          - 192.0.2.10
    """, builder=False)),
    passing=example(deploy("""
        builder:
          arch: [amd64, arm64]
          remote: ssh://docker@192.0.2.50
        servers:
          - 192.0.2.10
    """, builder=False)),
)
def check(ctx):
    """Checks that a `builder.arch` with more than one architecture comes with `builder.remote` (or a Docker
    Build Cloud driver, `driver: cloud ...`, which builds each natively).

    ## Why
    Kamal builds locally for every architecture when there is no remote builder. Only one of them can be your
    machine's own; the others run under QEMU emulation, commonly 5 to 20 times slower (compiling native gems
    under emulation can take most of an hour), and some build steps crash only there. With `builder.remote`,
    Kamal builds the architecture your machine does not have on that builder, natively.

    ## How to fix
    ```yaml
    builder:
      arch: [amd64, arm64]
      remote: ssh://docker@arm-builder.example.com
    ```

    Or build only the architecture your servers run (see KG117's `required`).

    ## Fix
    None: it needs a machine.
    """
    values = builder_arches(ctx)
    if values is None:
        return
    arches = list(dict.fromkeys(a for a in map(canonical_arch, values) if a))
    remote = ctx.view.get(("builder", "remote"))
    driver = ctx.view.get(("builder", "driver"))
    if len(arches) < 2 or isinstance(remote, ErbValue) or (isinstance(remote, str) and remote.strip()):
        return
    if isinstance(driver, str) and (isinstance(driver, ErbValue) or driver.strip().startswith("cloud")):
        return
    blank_remote = ctx.view.has(("builder", "remote"))
    emulated = "all but one are" if len(arches) > 2 else "one is"
    ctx.report(("builder", "remote" if blank_remote else "arch"),
               f"builder/arch builds {' and '.join(arches)} with no builder/remote, so {emulated} built under "
               f"emulation, which is slow: set builder/remote to an ssh:// builder of the other architecture, or "
               f"build fewer architectures", at="key" if blank_remote else "value")
