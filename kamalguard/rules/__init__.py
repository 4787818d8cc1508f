"""Every rule kamalguard knows: one module per rule (kgNNN_slug.py) in one package per family."""

from __future__ import annotations

import importlib
import os

from .base import _REGISTERED, Rule

FAMILIES = ("structural", "hardening", "exposure", "image")

_loaded: list[Rule] = []


def all_rules() -> list[Rule]:
    if not _loaded:
        here = os.path.dirname(__file__)
        for family in FAMILIES:
            names = sorted(n[:-3] for n in os.listdir(os.path.join(here, family)) if n.startswith("kg") and
                           n.endswith(".py"))
            for name in names:
                importlib.import_module(f"{__name__}.{family}.{name}")
        _loaded.extend(sorted(_REGISTERED, key=lambda r: r.id))
    return _loaded


def find(name: str) -> Rule | None:
    """A rule by id (KG101, kg101) or slug (read-only-rootfs)."""
    wanted = name.strip().lower()
    return next((r for r in all_rules() if wanted in (r.id.lower(), r.slug)), None)
