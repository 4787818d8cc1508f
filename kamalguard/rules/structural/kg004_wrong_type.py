from ..base import example, rule
from . import schema


@rule(
    id="KG004",
    slug="wrong-type",
    severity="error",
    summary="A value of a type Kamal does not accept there",
    references=[("Kamal configuration reference", "https://kamal-deploy.org/docs/configuration/overview/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10]
        proxy:
          app_port: "3000"
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10]
        proxy:
          app_port: 3000
    """),
)
def check(ctx):
    """Checks each value's type against the Kamal 2.11 schema, with Kamal's own rules: a "string" also
    accepts numbers and booleans, an integer must be a real integer (`"3000"` is not), booleans must be
    true/false (YAML 1.1's yes/no/on/off count), `options` must be a hash, a role is a host list or a hash,
    and so on.

    A value written by ERB (`<%= ... %>`) is never type-checked: its type is unknown until Kamal renders it.

    ## How to fix
    Write the value in the type the message asks for (drop the quotes around a number, turn a scalar into
    a list, ...).
    """
    for error in schema.errors(ctx):
        if error.kind == "type":
            ctx.report(error.path, error.message, at="value")
