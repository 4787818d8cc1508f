"""Every rule kamalguard knows, loaded from one module per rule."""

from __future__ import annotations

import importlib

from .base import _REGISTERED, Rule

# One module per rule; the order here does not matter, rules are listed by id.
RULE_MODULES = (
    "structural.kg001_yaml_syntax",
    "structural.kg002_duplicate_key",
    "structural.kg003_unknown_key",
    "structural.kg004_wrong_type",
    "structural.kg005_missing_key",
    "structural.kg006_kamal1_key",
    "structural.kg007_kamal_rule",
    "structural.kg008_byte_order_mark",
    "structural.kg009_extra_document",
    "structural.kg090_unused_suppression",
)

_loaded: list[Rule] = []


def all_rules() -> list[Rule]:
    if not _loaded:
        for name in RULE_MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded.extend(sorted(_REGISTERED, key=lambda r: r.id))
    return _loaded


def find(name: str) -> Rule | None:
    """A rule by id (KG101, kg101) or slug (read-only-rootfs)."""
    wanted = name.strip().lower()
    return next((r for r in all_rules() if wanted in (r.id.lower(), r.slug)), None)
