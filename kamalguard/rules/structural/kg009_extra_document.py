import re

from ..base import example, rule

# compiled on first use (by the re module's cache): only a file with more documents needs it
_SEPARATOR = r"^(?:---|\.\.\.)(?=\s|$)"


@rule(
    id="KG009",
    slug="extra-document",
    severity="warning",
    summary="The file holds more than one YAML document; Kamal reads only the first",
    scope="file",
    references=[("YAML 1.2: documents", "https://yaml.org/spec/1.2.2/#91-documents")],
    failing=example("""
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
        ---
        builder:
          arch: amd64
    """),
    passing=example("""
        ---
        service: myapp
        image: myorg/myapp
        servers:
          - 192.0.2.10
    """),
)
def check(ctx):
    """Checks that a deploy file holds a single YAML document.

    A `---` line after the first settings starts a second document. Psych, and so Kamal, loads only the
    first one and silently ignores everything after the separator, however valid it is. A leading `---` at
    the top of the file is fine.

    ## How to fix
    Remove the separator so the settings join the first document, or delete the dead document.
    """
    for doc in ctx.view.layers:
        if doc.more_documents and doc.root is not None:
            separator = re.compile(_SEPARATOR, re.M).search(doc.masked.text, doc.root.end)
            start = separator.start() if separator else doc.root.end
            ctx.report_span(
                doc, start, start + 3,
                "a second YAML document starts after this one; Kamal reads only the first document and ignores "
                "the rest: remove the `---` separator or the extra document",
            )
