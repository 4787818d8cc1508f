from ..base import example, rule


@rule(
    id="KG001",
    slug="yaml-syntax",
    severity="error",
    summary="The file is not YAML that Kamal can load",
    scope="file",
    references=[("YAML 1.1 specification", "https://yaml.org/spec/1.1/"),
                ("Kamal configuration", "https://kamal-deploy.org/docs/configuration/overview/")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10
    """),
    passing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts: [192.0.2.10]
    """),
)
def check(ctx):
    """Checks that each deploy file parses as YAML, the way Kamal's parser (libyaml, through Ruby's Psych)
    reads it, without running any ERB in it.

    It fires for a syntax error, an empty or comments-only file, text that is not UTF-8, an ERB tag that
    never closes, nesting too deep to be a config, aliases that expand without bound (an "alias bomb") or
    refer to themselves, and a file whose YAML structure is written by ERB: a `<%= ... %>` on a line of its
    own that emits lines of YAML (e.g. a host list built with `.join("\\n")`). kamalguard never runs ERB,
    because Kamal's ERB can run shell commands; it masks each tag instead, so a tag that *is* structure
    leaves nothing to check.

    ## Why
    Kamal stops at the first syntax error with a terse Psych message and no context. Nothing else in the
    file can be checked until it parses.

    ## How to fix
    Fix the YAML at the reported line and column. For ERB-built structure, write the list in YAML and put
    ERB only in values (`- <%= ENV["WEB_HOST"] %>`), or generate the whole file outside Kamal.
    """
    for doc in ctx.view.layers:
        problem = doc.problem
        if problem is None:
            continue
        ctx.report_span(doc, problem.index, problem.index + 1, problem.message, line=problem.line,
                        column=problem.column)
