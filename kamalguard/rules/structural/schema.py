"""Validate the merged config against schemas/kamal-2.schema.json and sort the errors by kind.

The schema holds the structure of a Kamal 2.11 config; this module only turns jsonschema's errors into
statements a person can act on, each at a path of the view: unknown keys (KG003), wrong types (KG004),
missing keys (KG005) and Kamal 1 settings (KG006). A config the compiled check (compiled_schema.py) accepts has
no errors, and jsonschema, slow to import and to run, is only asked to explain a config it rejects. Both are
built once per process.
"""

from __future__ import annotations

import json

from ...record import Frozen
from ...source.scalars import ErbValue

# built once per process, when first needed
_schema_data = None
_compiled = None
_validator = None

TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
              "array": "an array", "object": "a hash", "null": "empty"}


class SchemaError(Frozen):
    __slots__ = ("hint", "kind", "message", "path")

    def __init__(self, kind: str, path: tuple, message: str, hint: str | None = None):
        self.kind = kind  # "unknown" | "type" | "missing" | "kamal1"
        self.path = path  # the unknown/missing key's own path, or the wrongly typed value's path
        self.message = message
        self.hint = hint  # Kamal 1: the Kamal 2 replacement


def schema_text() -> str:
    from ...schemas import read

    return read("kamal-2.schema.json")


def _schema() -> dict:
    global _schema_data
    if _schema_data is None:
        _schema_data = json.loads(schema_text())
    return _schema_data


def valid(data) -> bool:
    """Does `data` pass the schema? Decided by the compiled check; by jsonschema when the schema is not compiled."""
    global _compiled
    if _compiled is None:
        from ...compiled_schema import compile_schema

        # Ruby's Integer: 1.0 is a Float, as in validator() below
        _compiled = compile_schema(_schema(), float_integers=False) or (lambda value: validator().is_valid(value))
    return _compiled(data)


def validator():
    global _validator
    if _validator is None:
        from jsonschema import Draft202012Validator
        from jsonschema.validators import extend

        checker = Draft202012Validator.TYPE_CHECKER.redefine(
            # Ruby's Integer: 1.0 is a Float and true is not a number
            "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
        )
        cls = extend(Draft202012Validator, type_checker=checker)
        _validator = cls(_schema())
    return _validator


def errors(ctx) -> list[SchemaError]:
    """Schema errors of the merged view, computed once per check and shared by the rules that report them."""
    if "schema" not in ctx.cache:
        found: list[SchemaError] = []
        if not valid(ctx.view.data):
            for error in validator().iter_errors(ctx.view.data):
                found.extend(_translate(error))
        unique = {(e.kind, e.path, e.message): e for e in found}
        ctx.cache["schema"] = list(unique.values())
    return ctx.cache["schema"]


def _where(path) -> str:
    return "/".join(str(p) for p in path) or "the top level"


def _expected(schema: dict) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if types and set(types) >= {"string", "number", "boolean"}:
        types = ["string", *[t for t in types if t not in ("string", "number", "boolean")]]
    return " or ".join(TYPE_NAMES.get(t, t) for t in types or [])


def _translate(error) -> list[SchemaError]:
    """One jsonschema error as zero or more SchemaErrors (zero when the value is ERB: unknown until deploy)."""
    path = tuple(error.absolute_path)
    instance = error.instance
    if isinstance(instance, ErbValue):
        return []
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("errorMessage")
    kind = error.validator
    if "x-kamal1" in schema:
        return [SchemaError("kamal1", path, custom or f"{_where(path)} is a Kamal 1 setting", schema["x-kamal1"])]
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        return [_unknown(path, key, schema) for key in _extra_keys(instance, schema, error)]
    if kind == "required" and isinstance(instance, dict):
        # Kamal's own words when the schema keeps them ("Builder arch not set"), and always what to add where
        return [SchemaError("missing", (*path, key), f"{_where(path)}: `{key}` is required"
                            f"{f' (Kamal: {custom})' if custom else ''}: add `{key}:` to {_where(path)}")
                for key in error.validator_value if key not in instance]
    if kind in ("oneOf", "anyOf") and error.context:
        branch = _matching_branch(error)
        if branch is not None:
            return [e for sub in branch for e in _translate(sub)]
    if kind == "type":
        expected = _expected(schema)
        message = custom or f"{_where(path)}: should be {expected}, not {_describe(instance)}"
        return [SchemaError("type", path, message)]
    if kind in ("oneOf", "anyOf"):
        alternatives = [_expected(s) for s in error.validator_value if isinstance(s, dict) and s.get("type")]
        expected = " or ".join(dict.fromkeys(a for a in alternatives if a))
        message = custom or f"{_where(path)}: should be {expected or 'something else'}, not {_describe(instance)}"
        return [SchemaError("type", path, message)]
    if kind == "not" and custom is None and path:
        return [_unknown(path[:-1], path[-1], {})]
    return [SchemaError("type", path, custom or f"{_where(path)}: {error.message}")]


def _unknown(path, key, schema) -> SchemaError:
    import difflib

    known = [k for k in schema.get("properties", {}) if isinstance(schema["properties"][k], dict)
             and "x-kamal1" not in schema["properties"][k]]
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    where = f"{_where(path)}: " if path else ""
    return SchemaError("unknown", (*path, key), f"{where}unknown key `{key}`{hint}", close[0] if close else None)


def _extra_keys(instance: dict, schema: dict, error) -> list:
    import re

    if error.validator == "unevaluatedProperties":
        # jsonschema names them in its message; recompute from the schema where it can't be parsed
        found = re.findall(r"'([^']*)'", error.message.split("(")[-1])
        return [k for k in instance if k in found] or list(instance)
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [k for k in instance
            if k not in properties and not any(re.search(p, str(k)) for p in patterns)]


def _matching_branch(error):
    """Of a oneOf/anyOf's branches, the single one whose type fits the value: its errors are the real ones."""
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [subs for subs in branches.values()
               if not any(s.validator == "type" and tuple(s.absolute_path) == tuple(error.absolute_path)
                          for s in subs)]
    return fitting[0] if len(fitting) == 1 else None


def _describe(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        return "a hash"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the string "{shown}"'
    return f"a {type(value).__name__}"
