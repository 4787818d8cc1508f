from ...kamal.view import slash
from ..base import example, rule


@rule(
    id="KG002",
    slug="duplicate-key",
    severity="warning",
    summary="A key is defined twice in the same mapping; Kamal silently keeps the last one",
    scope="file",
    references=[("YAML 1.2: mapping keys are unique", "https://yaml.org/spec/1.2.2/#mapping")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        image: myorg/other
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """),
)
def check(ctx):
    """Checks that no mapping defines the same key twice.

    YAML says keys are unique, but Ruby's Psych, which Kamal uses, accepts duplicates and keeps the *last*
    value without a word. The first definition is then dead text that readers still trust, a classic
    source of "but the config says..." incidents. Both branches of an ERB `<% if %>`/`<% else %>` defining
    the same key are alternatives, not duplicates, and are not reported.

    ## How to fix
    Delete the definition that is not meant, or merge the two.
    """
    for doc in ctx.view.layers:
        for dup in doc.duplicates:
            first_line = doc.source.position(dup.first.start)[0] + 1
            where = f"{slash(dup.path)}/" if dup.path else ""
            ctx.report_span(
                doc, dup.again.start, dup.again.end,
                f"`{where}{dup.key}` is defined twice (first on line {first_line}); Kamal keeps this last "
                f"value and ignores the first: delete one of them",
                path=(*dup.path, dup.key),
            )
