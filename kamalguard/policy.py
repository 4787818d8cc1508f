"""The team's policy: `.kamalguard.yml` at the project root, or `[tool.kamalguard]` in pyproject.toml.

It selects and ignores rules, overrides severities, sets per-rule settings (writable paths, memory limits,
...), and excludes roles or accessories from rules with a reason. It is validated against
schemas/kamalguard-config.schema.json, and mistakes are reported with their line and column.
"""

from __future__ import annotations

import json
import os
import re

from .record import Frozen, Record
from .source.text import InputError

CONFIG_NAMES = (".kamalguard.yml", ".kamalguard.yaml")


class Exclusion(Frozen):
    __slots__ = ("accessory", "reason", "role", "rules")

    def __init__(self, rules: tuple[str, ...], role: str | None, accessory: str | None, reason: str):
        self.rules = rules  # ids or slugs; empty means every rule
        self.role = role
        self.accessory = accessory
        self.reason = reason


class Policy(Record):
    __slots__ = ("exclude", "fail_on", "ignore", "path", "rules", "select", "severity")

    def __init__(self, path: str | None = None, select: list[str] | None = None, ignore: list[str] | None = None,
                 severity: dict[str, str] | None = None, rules: dict[str, dict] | None = None,
                 exclude: list[Exclusion] | None = None, fail_on: str | None = None):
        self.path = path
        self.select: list[str] = [] if select is None else select
        self.ignore: list[str] = [] if ignore is None else ignore
        self.severity: dict[str, str] = {} if severity is None else severity
        self.rules: dict[str, dict] = {} if rules is None else rules
        self.exclude: list[Exclusion] = [] if exclude is None else exclude
        self.fail_on = fail_on

    def setting(self, rule_id: str, name: str):
        return self.rules.get(rule_id, {}).get(name)

    def exclusion_for(self, finding) -> Exclusion | None:
        for exclusion in self.exclude:
            if exclusion.rules and not any(matches(finding.rule, r) for r in exclusion.rules):
                continue
            if exclusion.role is not None and exclusion.role != finding.role:
                continue
            if exclusion.accessory is not None and exclusion.accessory != finding.accessory:
                continue
            return exclusion
        return None


def matches(rule, name: str) -> bool:
    """`name` selects `rule` by id, id prefix (KG1, KG10) or slug."""
    name = name.strip()
    return rule.id.upper().startswith(name.upper()) or rule.slug == name.lower()


def schema():
    from .schemas import read

    return json.loads(read("kamalguard-config.schema.json"))


def discover(root: str) -> str | None:
    for name in CONFIG_NAMES:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        with open(pyproject, "rb") as handle:
            # `[tool.kamalguard]`, or only subtables such as `[tool.kamalguard.rules.KG106]`
            if re.search(rb"^\s*\[\s*tool\s*\.\s*kamalguard\s*[.\]]", handle.read(), re.M):
                return pyproject
    return None


def load(path: str | None, display: str | None = None) -> Policy:
    """Read and validate a policy file; InputError (exit 2) with file:line:col for anything wrong."""
    if path is None:
        return Policy()
    shown = display or path
    if path.endswith(".toml"):
        data, position = _toml(path, shown), None
    else:
        data, position = _yaml(path, shown)
    from .compiled_schema import compile_schema

    policy_schema = schema()
    passes = compile_schema(policy_schema, float_integers=True)  # jsonschema's own idea of an integer
    if passes is not None and passes(data):
        return _policy(data, shown)  # valid: no need for jsonschema, which is slow to import
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(policy_schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        at = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # point at the misspelt key itself, not at the mapping that holds it
            allowed = error.schema.get("properties", {})
            at = (*at, next((k for k in error.instance if k not in allowed), None))
        where = position(at) if position else shown
        what = "/".join(str(p) for p in error.absolute_path) or "the top level"
        message = error.message
        if error.validator == "additionalProperties":
            message = f"unknown setting: {message.split('(')[-1].rstrip(')')}"
        raise InputError(f"{where}: {what}: {message} (see schemas/kamalguard-config.schema.json)")
    return _policy(data, shown)


def _yaml(path: str, shown: str):
    from .source.document import load as load_document
    from .source.text import DecodeError, read

    try:
        doc = load_document(read(path, shown))
    except DecodeError as exc:
        raise InputError(f"{shown}:{exc.line}:{exc.column}: the policy is not UTF-8 text") from None
    if not any(line.strip() and not line.lstrip().startswith("#") for line in doc.source.text.splitlines()):
        return {}, None  # an empty (or comments-only) policy changes nothing
    if doc.data is not None and not isinstance(doc.data, dict):
        # The loader speaks of deploy files; a policy has its own shape: say so in its terms.
        raise InputError(f"{shown}:1:1: a policy is a mapping of settings (select:, ignore:, severity:, rules:, "
                         f"exclude:); see schemas/kamalguard-config.schema.json")
    if doc.problem is not None:
        line, column = doc.source.position(doc.problem.index)
        raise InputError(f"{shown}:{line + 1}:{column + 1}: not valid YAML: {doc.problem.message}")

    def position(path: tuple) -> str:
        while path and path not in doc.locations:
            path = path[:-1]
        loc = doc.locations.get(path)
        node = (loc.key or loc.value) if loc else None
        line, column = doc.source.position(node.start) if node else (0, 0)
        return f"{shown}:{line + 1}:{column + 1}"

    return doc.data, position


def _toml(path: str, shown: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle).get("tool", {}).get("kamalguard", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{shown}: {exc}") from None


def _policy(data: dict, shown: str) -> Policy:
    return Policy(
        path=shown,
        select=list(data.get("select", [])),
        ignore=list(data.get("ignore", [])),
        severity=dict(data.get("severity", {})),
        rules={k: dict(v or {}) for k, v in data.get("rules", {}).items()},
        exclude=[
            Exclusion(tuple(e.get("rules", ())), e.get("role"), e.get("accessory"), e["reason"])
            for e in data.get("exclude", [])
        ],
        fail_on=data.get("fail-on"),
    )
