from ...fix.edits import AddItems, SetKey
from ..base import Fix, example, rule
from .common import ARCHES, builder_arches, canonical_arch, deploy

ARCH = ("builder", "arch")


@rule(
    id="KG117",
    slug="builder-arch",
    severity="error",
    family="hardening",
    summary="builder.arch names an architecture Kamal cannot build, or misses one the policy requires",
    references=[("Kamal: builder configuration", "https://kamal-deploy.org/docs/configuration/builders/"),
                ("Docker: multi-platform builds", "https://docs.docker.com/build/building/multi-platform/")],
    fix="safe: spell amd64/arm64 as Kamal expects and add the required architectures (Kamal 1 multiarch/platforms "
        "are migrated by KG006)",
    settings={"required": []},
    failing=example(deploy("""
        builder:
          arch: linux/amd64
        servers:
          - 192.0.2.10
    """, builder=False)),
    passing=example(deploy("""
        builder:
          arch: [amd64, arm64]
        servers:
          - 192.0.2.10
    """, builder=False), policy={"rules": {"KG117": {"required": ["arm64"]}}}),
)
def check(ctx):
    """Checks that every value of `builder.arch` is `amd64` or `arm64`, and that together they cover every
    architecture the policy requires (`rules: {KG117: {required: [amd64, arm64]}}`: your servers'
    architectures; default: none).

    Kamal does not check these values (it only requires `arch` to be set), so a wrong one fails late: Kamal
    builds for `linux/<arch>`, and `arch: linux/amd64` asks buildx for `linux/linux/amd64`. `x86_64` and
    `aarch64` do build, but Kamal compares arch with the remote builder's and the servers' architecture by
    name, so they make it pick the wrong builder.

    A missing `builder.arch` is KG005's finding, and Kamal 1's `multiarch`/`platforms` are KG006's (whose fix
    rewrites them into `arch`); this rule says nothing until `arch` is written.

    ## Why
    An image built for the wrong architecture deploys, then fails to start on the server with "exec format
    error", after the build and push; a server of an architecture the build skipped gets the same. The policy
    records which architectures your servers run, so a change to `arch` cannot silently drop one.

    ## How to fix
    ```yaml
    builder:
      arch: [amd64, arm64]
    ```

    ## Fix
    Safe: other spellings of the two architectures (`linux/amd64`, `x86_64`, `AMD64`, `aarch64`, `arm64/v8`)
    become `amd64`/`arm64` (behaviour change: none, the same platform is built), and a required architecture
    that is missing is added (the policy decides it; behaviour change: the build also makes that image, which
    is slower, see KG118). Other values get no fix.
    """
    values = builder_arches(ctx)
    if values is None:
        return
    scalar = not isinstance(ctx.view.get(ARCH), list)
    fixed = [canonical_arch(v) for v in values]
    wrong = [index for index, value in enumerate(values) if str(value) not in ARCHES]
    if wrong:
        named = ", ".join(f"`{values[i]}`" for i in wrong)
        spelled = [f"`{fixed[i]}`" for i in wrong if fixed[i]]
        fix = None
        if all(fixed[i] for i in wrong):
            corrected = fixed[0] if scalar else list(dict.fromkeys(fixed))
            fix = Fix("safe", f"set builder/arch: {corrected}",
                      "none: the same platform is built, under the name Kamal compares",
                      (SetKey(("builder",), "arch", corrected),))
        advice = f"write {', '.join(spelled)}" if len(spelled) == len(wrong) else "write amd64 or arm64"
        ctx.report(ARCH if scalar else (*ARCH, wrong[0]),
                   f"builder/arch: {named} {'is not an architecture' if len(wrong) == 1 else 'are not architectures'}"
                   f" Kamal builds (amd64, arm64): {advice}", fix=fix, at="value")
    required = [a for a in ctx.setting("required") or [] if a not in fixed]
    if required:
        ctx.report(ARCH, f"builder/arch does not build {', '.join(required)}, which the policy requires (rules: "
                   f"KG117: required): add {'it' if len(required) == 1 else 'them'}",
                   fix=None if wrong else Fix("safe", f"add {', '.join(required)} to builder/arch",
                                              f"the build also makes a {', '.join(required)} image (slower builds)",
                                              (AddItems(ARCH, tuple(required)),)),
                   at="value")
