"""A JSON Schema compiled once into plain Python checks that answer one question: is this data valid?

jsonschema explains every error, but importing it and walking a large schema with it costs more than the rest
of a check together. Most configs are valid, so kamalguard asks the compiled check first and turns to jsonschema
only for data it rejects, to find and explain the errors. The verdict must be exactly jsonschema's
(Draft 2020-12), so the compiler knows a keyword fully or refuses the whole schema: `compile_schema` returns
None for a schema that uses a validation keyword it does not implement, or a reference it cannot resolve
locally, and the caller then asks jsonschema every time. tests/test_fuzz.py checks that both agree.

The whole schema is scanned for what it uses at once, but each subschema is compiled the first time data
reaches it: a config meets a small part of a large schema, and the rest would cost start-up time for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Check = Callable[[object], bool]

# Every keyword Draft 2020-12 validates with (jsonschema's Draft202012Validator.VALIDATORS); any other keyword
# (description, errorMessage, x-kamal1, ...) is an annotation and changes no verdict.
VALIDATION_KEYWORDS = frozenset({
    "$dynamicRef", "$ref", "additionalProperties", "allOf", "anyOf", "const", "contains", "dependentRequired",
    "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items", "maxItems",
    "maxLength", "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf",
    "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties", "propertyNames", "required",
    "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
})
# Keywords that change what a `$ref` points at; below the root they are not compiled.
IDENTIFIERS = ("$id", "$anchor", "$dynamicAnchor")
# Where subschemas sit, for the scan: keyword -> "one" subschema, a "map" of them, or a "list" of them.
SUBSCHEMAS = {"additionalProperties": "one", "propertyNames": "one", "items": "one", "not": "one", "if": "one",
              "then": "one", "else": "one", "properties": "map", "patternProperties": "map", "allOf": "list",
              "anyOf": "list", "oneOf": "list"}


class NotCompilable(Exception):
    pass


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _types(float_integers: bool) -> dict[str, Check]:
    def integer(value) -> bool:
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (float_integers and isinstance(value, float) and value.is_integer())

    return {
        "array": lambda v: isinstance(v, list),
        "boolean": lambda v: isinstance(v, bool),
        "integer": integer,
        "null": lambda v: v is None,
        "number": _is_number,
        "object": lambda v: isinstance(v, dict),
        "string": lambda v: isinstance(v, str),
    }


def _equal(one, two) -> bool:
    """jsonschema's equality: 1 == 1.0, but true is not 1; lists and mappings compared item by item."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    if isinstance(one, (list, dict)) or isinstance(two, (list, dict)):
        return False
    return one == two


def _unique_key(value):
    """A key that is equal exactly when jsonschema's `equal` is, for scalars; None for anything else."""
    if isinstance(value, bool):
        return ("bool", value)
    if _is_number(value):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null",)
    return None


class _Lazy:
    """A subschema's check, compiled when data first reaches it."""

    __slots__ = ("build", "check")

    def __init__(self, build: Callable[[], Check]):
        self.build = build
        self.check: Check | None = None

    def __call__(self, value) -> bool:
        check = self.check
        if check is None:
            check = self.check = self.build()
        return check(value)


class _Compiler:
    def __init__(self, root, float_integers: bool):
        self.root = root
        self.types = _types(float_integers)
        self.refs: dict[str, Check] = {}
        self.scanned: set[int] = set()

    def scan(self, schema, root: bool = False) -> None:
        """Raise NotCompilable unless every keyword the schema validates with is compiled here."""
        if isinstance(schema, bool) or id(schema) in self.scanned:
            return
        self.scanned.add(id(schema))
        if not isinstance(schema, dict):
            raise NotCompilable(f"a schema must be an object or a boolean, not {schema!r}")
        if not root and any(key in schema for key in IDENTIFIERS):
            raise NotCompilable("an identifier below the root")
        keys = schema.keys()
        if keys & NOT_COMPILED:
            raise NotCompilable(f"keywords {sorted(keys & NOT_COMPILED)} are not compiled")
        if "$ref" in schema:
            self.scan(self.target(self.local(schema["$ref"])))
        for key in keys & SUBSCHEMAS.keys():
            value, shape = schema[key], SUBSCHEMAS[key]
            if shape == "one":
                self.scan(value)
            else:
                for sub in value.values() if shape == "map" else value:
                    self.scan(sub)

    def local(self, pointer) -> str:
        """A `$ref` as a pointer into this document, `#/...`."""
        base = self.root.get("$id", "")
        if isinstance(pointer, str) and base and pointer.startswith(base + "#"):
            pointer = pointer[len(base):]
        if not isinstance(pointer, str) or not pointer.startswith("#") or (len(pointer) > 1 and pointer[1] != "/"):
            raise NotCompilable(f"reference {pointer!r} is not local")
        return pointer

    def target(self, pointer: str):
        target = self.root
        for part in pointer[2:].split("/") if pointer != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise NotCompilable(f"unresolvable reference {pointer}")
        return target

    def ref(self, pointer: str) -> Check:
        """A `#/...` reference, compiled once however many schemas use it."""
        if pointer not in self.refs:
            self.refs[pointer] = self.schema(self.target(pointer))
        return self.refs[pointer]

    def schema(self, schema) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        return _Lazy(lambda: self.build(schema))

    def build(self, schema: dict) -> Check:
        checks = [self.keyword(schema, key) for key in schema if key in VALIDATION_KEYWORDS]
        checks = [c for c in checks if c is not None]
        return _all_of(checks) if checks else _always

    def keyword(self, schema: dict, key: str) -> Check | None:
        return getattr(self, "k_" + key.lstrip("$"))(schema[key], schema)

    def k_ref(self, pointer, _schema) -> Check:
        return self.ref(self.local(pointer))

    def k_type(self, names, _schema) -> Check:
        return _any_of([self.types[name] for name in ([names] if isinstance(names, str) else names)])

    def k_properties(self, properties: dict, _schema) -> Check:
        checks = {name: self.schema(sub) for name, sub in properties.items()}

        def check(value) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                sub = checks.get(key)
                if sub is not None and not sub(item):
                    return False
            return True

        return check

    def k_patternProperties(self, patterns: dict, _schema) -> Check:
        checks = [(re.compile(pattern), self.schema(sub)) for pattern, sub in patterns.items()]

        def check(value) -> bool:
            if not isinstance(value, dict):
                return True
            return all(sub(item) for regex, sub in checks for key, item in value.items() if regex.search(key))

        return check

    def k_additionalProperties(self, extra, schema: dict) -> Check:
        known = schema.get("properties", {})
        patterns = "|".join(schema.get("patternProperties", {}))
        matcher = re.compile(patterns).search if patterns else None
        sub = self.schema(extra)

        def check(value) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                if key in known or (matcher is not None and matcher(key)):
                    continue
                if not sub(item):
                    return False
            return True

        return check

    def k_propertyNames(self, names, _schema) -> Check:
        sub = self.schema(names)
        return lambda value: not isinstance(value, dict) or all(sub(key) for key in value)

    def k_required(self, names, _schema) -> Check:
        required = frozenset(names)
        return lambda value: not isinstance(value, dict) or value.keys() >= required

    def k_minProperties(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) >= limit

    def k_maxProperties(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) <= limit

    def k_items(self, items, _schema) -> Check:
        sub = self.schema(items)

        def check(value) -> bool:
            if isinstance(value, list):
                for item in value:
                    if not sub(item):
                        return False
            return True

        return check

    def k_minItems(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, list) or len(value) >= limit

    def k_maxItems(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, list) or len(value) <= limit

    def k_uniqueItems(self, unique, _schema) -> Check | None:
        if not unique:
            return None

        def check(value) -> bool:
            if not isinstance(value, list):
                return True
            keys = [_unique_key(item) for item in value]
            # lists or mappings as items: say "not valid" and let jsonschema decide, rather than guess
            return None not in keys and len(set(keys)) == len(keys)

        return check

    def k_minLength(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, str) or len(value) >= limit

    def k_maxLength(self, limit, _schema) -> Check:
        return lambda value: not isinstance(value, str) or len(value) <= limit

    def k_pattern(self, pattern, _schema) -> Check:
        search = re.compile(pattern).search
        return lambda value: not isinstance(value, str) or search(value) is not None

    def k_minimum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value >= limit

    def k_maximum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value <= limit

    def k_exclusiveMinimum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value > limit

    def k_exclusiveMaximum(self, limit, _schema) -> Check:
        return lambda value: not _is_number(value) or value < limit

    def k_const(self, constant, _schema) -> Check:
        return lambda value: _equal(value, constant)

    def k_enum(self, choices, _schema) -> Check:
        return lambda value: any(_equal(value, choice) for choice in choices)

    def k_not(self, negated, _schema) -> Check:
        sub = self.schema(negated)
        return lambda value: not sub(value)

    def k_allOf(self, schemas, _schema) -> Check:
        return _all_of([self.schema(s) for s in schemas])

    def k_anyOf(self, schemas, _schema) -> Check:
        return _any_of([self.schema(s) for s in schemas])

    def k_oneOf(self, schemas, _schema) -> Check:
        subs = [self.schema(s) for s in schemas]
        return lambda value: sum(1 for sub in subs if sub(value)) == 1

    def k_if(self, condition, schema: dict) -> Check:
        test = self.schema(condition)
        then = self.schema(schema["then"]) if "then" in schema else _always
        otherwise = self.schema(schema["else"]) if "else" in schema else _always
        return lambda value: then(value) if test(value) else otherwise(value)


def _always(_value) -> bool:
    return True


# Loops rather than all()/any() over a generator: these run for every value of the data, and the generator costs
# more than the checks.
def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value) -> bool:
        for one in checks:  # noqa: SIM110
            if not one(value):
                return False
        return True

    return check


def _any_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value) -> bool:
        for one in checks:  # noqa: SIM110
            if one(value):
                return True
        return False

    return check


def _never(_value) -> bool:
    return False


# Keywords without a k_ method here; and prefixItems, which changes what `items` (compiled) means.
NOT_COMPILED = frozenset({"prefixItems", *(key for key in VALIDATION_KEYWORDS
                                            if not hasattr(_Compiler, "k_" + key.lstrip("$")))})


def compile_schema(schema: dict, *, float_integers: bool) -> Check | None:
    """The schema as a function data -> valid?, or None when it uses what is not compiled here.

    `float_integers`: whether 1.0 counts as an integer (jsonschema's default type checker says yes; kamalguard's
    Kamal schema, like Ruby, says no)."""
    compiler = _Compiler(schema, float_integers)
    try:
        compiler.scan(schema, root=True)
    except NotCompilable:
        return None
    return compiler.schema(schema)
