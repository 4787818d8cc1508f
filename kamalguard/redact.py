"""Secret values never leave kamalguard: every format shows `***` in their place.

`secret_values(view)` collects what must be hidden: values under env (simple form or `clear`, at the
root, in roles, accessories and tags) whose name looks like a credential, and literal registry passwords.
Reporters pass every text they print (messages, source lines, diffs) through `redact`.
"""

from __future__ import annotations

import re

from .source.scalars import ErbValue

SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|MASTER_?KEY|CREDENTIAL|"
                         r"(^|_)KEY$|(^|_)PASS$|AUTH)", re.I)
MASK = "***"


def looks_like_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(str(name)))


def _env_blocks(view):
    roots = [("env",)]
    roots += [(*c.path, "env") for c in view.roles() if isinstance(c.config, dict)]
    roots += [(*c.path, "env") for c in view.accessories()]
    tags = view.get(("env", "tags"))
    roots += [("env", "tags", name) for name in (tags if isinstance(tags, dict) else {})]
    for root in roots:
        env = view.get(root)
        if not isinstance(env, dict):
            continue
        clear = env.get("clear") if any(k in env for k in ("clear", "secret", "tags")) else env
        if isinstance(clear, dict):
            yield clear


def secret_values(view) -> set[str]:
    found: set[str] = set()
    if view.data is None:
        return found
    for clear in _env_blocks(view):
        for name, value in clear.items():
            if looks_like_secret_name(name) and _literal(value):
                found.add(value)
    registries = [view.get(("registry",))] + [a.config.get("registry") for a in view.accessories()]
    for registry in registries:
        password = registry.get("password") if isinstance(registry, dict) else None
        if _literal(password):
            found.add(password)
    return found


def _literal(value) -> bool:
    return isinstance(value, str) and not isinstance(value, ErbValue) and len(value) >= 4


def redact(text: str, secrets) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
