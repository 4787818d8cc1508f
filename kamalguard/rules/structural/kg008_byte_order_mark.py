from ...fix.edits import RemoveBOM
from ..base import Fix, example, rule


@rule(
    id="KG008",
    slug="byte-order-mark",
    severity="error",
    summary="The file starts with a UTF-8 byte order mark, which Kamal cannot read",
    scope="file",
    fix="safe",
    references=[("Unicode FAQ: byte order mark", "https://www.unicode.org/faq/utf_bom.html#bom1")],
    failing=example("\ufeff" + """
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
    """),
)
def check(ctx):
    """Checks that a deploy file does not start with a UTF-8 byte order mark (BOM, bytes EF BB BF).

    Some Windows editors add one. Kamal 2.11 then fails with a misleading
    `registry/username: is required`, because the BOM becomes part of the first key's name, so whatever
    the first key was (often `service:` or `registry:`) is not found.

    ## How to fix
    Save the file as UTF-8 without BOM. The fix removes the three bytes and nothing else.
    """
    for doc in ctx.view.layers:
        if doc.source.bom:
            ctx.report_span(
                doc, 0, 0,
                "the file starts with a UTF-8 byte order mark; Kamal reads it as part of the first key and then "
                "fails with a misleading error: save the file as UTF-8 without BOM",
                line=1, column=1,
                fix=Fix("safe", "remove the byte order mark", "",
                        (RemoveBOM(doc.path),)),
            )
