"""`kamalguard init`: a starter .kamalguard.yml that records today's findings as exclusions to work down.

A team adopts the gate at once: `kamalguard check` passes (every current finding is shown, marked suppressed
with a TODO reason), and any new finding fails it. Findings of a role or an accessory become an exclusion for
that role or accessory, one per container, listing its rules; findings that belong to no container (builder
settings, root volumes, kamal-proxy, other files) exclude their rule everywhere, which the file says.
"""

from __future__ import annotations

import json
import os
import re
import textwrap

from .policy import CONFIG_NAMES, Policy, schema
from .source.text import InputError

TODO = "TODO: why is this accepted? Fix it and delete the entry, or write the reason here"
_PLAIN_KEY = re.compile(r"[a-z][a-z0-9_-]*\Z")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def write_starter_policy(path: str, destination: str | None = None, all_destinations: bool = False,
                         force: bool = False) -> tuple[str, str]:
    """Write `.kamalguard.yml` at the project root of `path` (a project folder or a deploy file); returns the
    path written (as shown to the user) and a one-line summary. Refuses to replace a policy without `force`."""
    from .kamal.project import display_path, resolve_targets

    if path == "-":
        raise InputError("init needs a project folder or a deploy file, not stdin")
    targets = resolve_targets([path], None, all_destinations)
    if destination and not all_destinations:
        targets += resolve_targets([path], destination, False)
    root = targets[0].root
    existing = _existing_policies(root)
    if existing and not force:
        raise InputError(f"{display_path(existing[0])}: a policy already exists; kamalguard init does not replace "
                         f"it (use --force to overwrite it with a new starter policy)")
    findings = _findings(targets)
    written = next((p for p in existing if not p.endswith(".toml")), os.path.join(root, CONFIG_NAMES[0]))
    with open(written, "w", encoding="utf-8") as handle:
        handle.write(starter_policy(findings))
    return display_path(written), _summary(findings, [p for p in existing if p.endswith(".toml")])


def _existing_policies(root: str) -> list[str]:
    found = [os.path.join(root, name) for name in CONFIG_NAMES if os.path.isfile(os.path.join(root, name))]
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        with open(pyproject, "rb") as handle:
            if b"[tool.kamalguard]" in handle.read():
                found.append(pyproject)
    return found


def _findings(targets) -> list:
    """Every finding of every target, checked without any policy (so the record is complete), deduplicated."""
    from .engine import Documents, Selection, check_target

    documents = Documents()
    seen, found = set(), []
    for target in targets:
        for finding in check_target(target, documents, Policy(), Selection()).findings:
            key = (finding.rule.id, finding.role, finding.accessory, finding.file, finding.line, finding.message)
            if finding.suppressed is None and key not in seen:
                seen.add(key)
                found.append(finding)
    return found


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _key(name: str) -> str:
    return name if _PLAIN_KEY.match(name) and name not in _YAML_WORDS else _quoted(name)


def _flow(value) -> str:
    """A value as one line of YAML (JSON is YAML's flow style)."""
    return json.dumps(value, ensure_ascii=False)


def _exclusions(findings) -> list[str]:
    groups: dict[tuple, dict[str, list]] = {}
    for finding in findings:
        owner = ("role", finding.role) if finding.role else ("accessory", finding.accessory) if finding.accessory \
            else ("", "")
        groups.setdefault(owner, {}).setdefault(finding.rule.id, []).append(finding)
    lines = []
    for (kind, name), rules in sorted(groups.items(), key=lambda g: ({"role": 0, "accessory": 1}.get(g[0][0], 2),
                                                                     g[0][1])):
        if kind:
            lines.append(f"  - {kind}: {_quoted(name)}")
            lines.append(f"    reason: {_quoted(TODO)}")
        else:
            lines.append("  # Findings that belong to no role or accessory (builder, root volumes, kamal-proxy, other")
            lines.append("  # files): this entry excludes its rules everywhere. Narrow it down as you fix them.")
            lines.append(f"  - reason: {_quoted(TODO)}")
        lines.append("    rules:")
        for rule_id, found in sorted(rules.items()):
            rule = found[0].rule
            count = f" ({len(found)} findings)" if len(found) > 1 else ""
            lines.append(f"      - {rule_id}  # {rule.slug} [{found[0].severity}]{count}")
    return lines


def _settings() -> list[str]:
    """Every rule setting with its default, commented out, described by the policy schema."""
    from .rules import all_rules

    described = schema()["properties"]["rules"]["properties"]
    lines = ["# Per-rule settings, shown with their defaults; uncomment to change one (`kamalguard explain KG102`).",
             "# rules:"]
    for rule in all_rules():
        if not rule.settings:
            continue
        lines.append(f"#   {rule.id}:  # {rule.slug}")
        for name, default in rule.settings.items():
            spec = described.get(rule.id, {}).get("properties", {}).get(name, {})
            for text in textwrap.wrap(spec.get("description", ""), 108):
                lines.append(f"#     # {text}")
            if default is None:
                example = (spec.get("examples") or [None])[0]
                lines.append(f"#     {name}: {_flow(example)}  # an example: no default" if example is not None
                             else f"#     {name}:  # no default")
            elif isinstance(default, dict):
                lines.append(f"#     {name}:")
                lines += [f"#       {_key(key)}: {_flow(value)}" for key, value in default.items()]
            else:
                lines.append(f"#     {name}: {_flow(default)}")
    return lines


def starter_policy(findings) -> str:
    lines = [
        "# kamalguard policy, started by `kamalguard init`.",
        "#",
        "# Each finding kamalguard reported when this file was written is excluded below with a TODO reason, so",
        "# `kamalguard check` passes today and fails on anything new. Work the list down: fix a finding and delete",
        "# its rule from the entry, or replace the TODO with the reason your team accepts it.",
        "# Schema: schemas/kamalguard-config.schema.json in the kamalguard repository.",
        "",
        "# select: [KG0, KG1]     # only these rules: ids, id prefixes or slugs",
        "# ignore: [KG119]        # never these",
        "# fail-on: warning       # the lowest severity that fails `check`: error, warning, info or never",
        "",
    ]
    if findings:
        lines += ["exclude:", *_exclusions(findings), ""]
    else:
        lines += ["# exclude:               # nothing to exclude: kamalguard found nothing", ""]
    lines += _settings()
    return "\n".join(lines) + "\n"


def _summary(findings, shadowed: list[str]) -> str:
    if not findings:
        text = "no findings, nothing to exclude"
    else:
        owners = {(f.role, f.accessory) for f in findings}
        text = (f"recorded {len(findings)} finding{'s' if len(findings) != 1 else ''} as exclusions for "
                f"{len(owners)} {'entries' if len(owners) != 1 else 'entry'} with a TODO reason; `kamalguard check` "
                f"now passes: work the list down")
        broken = sorted({f.rule.id for f in findings if f.rule.family == "structural" and f.severity == "error"})
        if broken:
            text += f". {', '.join(broken)}: Kamal itself rejects this config, fix those first"
    if shadowed:
        text += f". Note: it takes precedence over [tool.kamalguard] in {os.path.basename(shadowed[0])}"
    return text
