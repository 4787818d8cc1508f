"""The JSON Schemas kamalguard validates with, shipped inside the package (schemas/ in the repository)."""

import os


def read(name: str) -> str:
    """A schema's text. Read beside this file: importlib.resources would cost more start-up time than a check."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
        return handle.read()
