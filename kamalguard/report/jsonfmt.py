"""The JSON contract (documented in the README): stable keys, 1-based lines and columns."""

from __future__ import annotations

import json

from .. import __version__
from . import summary


def document(outcome) -> dict:
    return {
        "kamalguard": __version__,
        "files": outcome.files,
        "findings": [f.to_json() for f in outcome.findings],
        "summary": summary(outcome.findings),
        "errors": outcome.errors,
    }


def render(outcome, options) -> str:
    return json.dumps(document(outcome), indent=2, ensure_ascii=False) + "\n"
