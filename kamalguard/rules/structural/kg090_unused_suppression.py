from ...policy import matches
from ..base import example, rule


@rule(
    id="KG090",
    slug="unused-suppression",
    severity="info",
    summary="A `# kamalguard: ignore[...]` comment that suppresses nothing",
    scope="post",
    references=[("kamalguard: inline suppressions",
                 "https://github.com/kamalguard/kamalguard/blob/main/README.md#policy-kamalguardyml")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        registry:
          username: myorg
          password: [KAMAL_REGISTRY_PASSWORD]
        builder:
          arch: amd64
        servers:
          - 192.0.2.10  # kamalguard: ignore[KG003] nothing to ignore here
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        registry:
          username: myorg
          password: [KAMAL_REGISTRY_PASSWORD]
        builder:
          arch: amd64
        servers:
          - 192.0.2.10
    """),
)
def check(ctx):
    """Checks that every inline suppression still suppresses a finding.

    Suppressions outlive the problems they hid: once the config is fixed, the comment stays and would
    silently hide the next, unrelated finding of that rule on that line. Reporting them keeps the list of
    accepted risks honest.

    Syntax: `# kamalguard: ignore[KG101,KG103] reason` on the finding's line (or on a role's or accessory's
    key line, to cover that block), and `# kamalguard: ignore-file[KG106] reason` for a whole file.

    ## How to fix
    Delete the comment, or correct the rule ids in it.
    """
    for suppression in ctx.suppressions:
        if suppression.used or not all(any(matches(r, name) for r in ctx.rules) for name in suppression.rules):
            continue
        ctx.report_span(suppression.doc, suppression.start, suppression.start + 1,
                        f"this suppression of {', '.join(suppression.rules)} matches no finding: remove it")
