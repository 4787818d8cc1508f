from ..base import example, rule
from . import schema


@rule(
    id="KG003",
    slug="unknown-key",
    severity="error",
    summary="A key Kamal 2.11 does not know, usually a typo",
    references=[("Kamal configuration reference", "https://kamal-deploy.org/docs/configuration/overview/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10]
            optoins:
              memory: 1g
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10]
            options:
              memory: 1g
    """),
)
def check(ctx):
    """Checks every key against the Kamal 2.11 configuration schema (`schemas/kamal-2.schema.json`, built
    from `kamal docs`), and suggests the closest known key.

    Kamal rejects unknown keys, but only reports the first failing section, so one `kamal deploy` shows one
    typo at a time. `x-` keys at the top level are extensions (for YAML anchors) and are allowed; anywhere
    else an `x-` key is unknown too.

    ## How to fix
    Rename the key to the one suggested, or remove it. Kamal 1 settings are reported by KG006 instead.
    """
    for error in schema.errors(ctx):
        if error.kind == "unknown":
            ctx.report(error.path, error.message)
