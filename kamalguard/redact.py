"""Secret values never leave kamalguard: every format shows `***` in their place.

What "looks like a credential" is decided here, once, for both redaction and the rules that report credentials
in the clear (KG203):

- a name made of words such as PASSWORD, SECRET, TOKEN, KEY, MASTER_KEY, CREDENTIALS (`looks_like_secret_name`),
  unless a last word says it describes the secret rather than holds it (`TOKEN_EXPIRY_HOURS`, `SSH_KEY_PATH`)
  or it is public (`VAPID_PUBLIC_KEY`);
- a value with a known token shape (GitHub, AWS, Slack, Stripe, ... , a PEM private key, a Rails master key)
  or a URL with a password (`credential_kind`).

`secret_values(view, project)` collects every value to hide: credential-looking values in env (simple form or
`clear`, at the root, in roles, accessories and tags), literal registry passwords, inline SSH key data, and the
literal values of the `.kamal/secrets*` files the config reads. Reporters pass every text they print
(messages, source lines, diffs) through `redact`.
"""

from __future__ import annotations

import re

from .source.scalars import ErbValue

MASK = "***"
# Shorter values are not masked: "1", "yes" or "app" would blank out half of every message.
MIN_SECRET_LENGTH = 4

# Words that name a credential; matched as whole words of the name (split on _ - . and digits boundaries).
_SECRET_WORDS = {"PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS",
                 "KEY", "KEYS", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PSK"}
# Parts of a word that name a credential even inside a longer word (PGPASSWORD, MYSECRET, AUTHTOKEN).
_SECRET_PARTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "PRIVATEKEY", "MASTERKEY")
# A last word that describes the secret rather than holds it: TOKEN_EXPIRY_HOURS, SSH_KEY_PATH, API_KEY_ID.
_DESCRIPTOR_WORDS = {
    "ID", "IDS", "NAME", "NAMES", "USER", "USERNAME", "EMAIL", "PATH", "FILE", "FILES", "DIR", "URL", "URI", "HOST",
    "PORT", "ENDPOINT", "REGION", "BUCKET", "PREFIX", "SUFFIX", "HEADER", "COOKIE", "PARAM", "FIELD", "TYPE",
    "KIND", "MODE", "FORMAT", "ALGORITHM", "VERSION", "PROVIDER", "BACKEND", "STORE", "SERVICE", "ENABLED",
    "DISABLED", "ENABLE", "DISABLE", "REQUIRED", "LENGTH", "LEN", "SIZE", "COUNT", "ROUNDS", "LIMIT", "MIN", "MAX",
    "TTL", "EXPIRY", "EXPIRES", "EXPIRATION", "TIMEOUT", "DURATION", "INTERVAL", "SECONDS", "MINUTES", "HOURS",
    "DAYS", "POLICY", "STRATEGY", "LOCATION", "RESET",
}
_PUBLIC_WORDS = {"PUBLIC", "PUBLISHABLE", "PUB"}
# Values that switch something on or off rather than hold a secret (MYSQL_RANDOM_ROOT_PASSWORD: yes).
_FLAG_VALUES = {"", "yes", "no", "true", "false", "on", "off", "0", "1", "none", "null", "nil"}

# Token shapes, searched for anywhere in a value: (what it is, pattern).
TOKEN_SHAPES = (
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}")),
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a SendGrid API key", re.compile(r"\bSG\.[\w-]{16,}\.[\w-]{16,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)")),
)
# A whole value of 32 hex digits: the shape of a Rails master key (config/master.key).
_MASTER_KEY = re.compile(r"[0-9a-f]{32}\Z")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/@:]*:([^\s/@]+)@", re.I)
# Parts of a value that are references, not the value itself: $VAR, ${VAR}, $(command), ERB.
_REFERENCE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|<%.*?%>")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Z0-9]+", str(name).upper()) if w]


def looks_like_secret_name(name) -> bool:
    """PASSWORD, DB_PASSWORD, PGPASSWORD, RAILS_MASTER_KEY, SECRET_KEY_BASE, API_TOKEN: yes.
    TOKEN_EXPIRY_HOURS, SSH_KEY_PATH, AWS_ACCESS_KEY_ID, VAPID_PUBLIC_KEY, PASSWORD_MIN_LENGTH: no."""
    words = _words(name)
    if not words or words[-1] in _DESCRIPTOR_WORDS or _PUBLIC_WORDS.intersection(words):
        return False
    return any(w in _SECRET_WORDS or any(part in w for part in _SECRET_PARTS) for w in words)


def url_password(value: str) -> str | None:
    """The literal password of a URL such as postgres://app:PASSWORD@db/app; None when there is none, or when it
    is a reference ($DB_PASSWORD, ERB) rather than a value."""
    match = _URL.search(value)
    if not match:
        return None
    password = match.group(1)
    if _REFERENCE.fullmatch(password) or password in ("*", MASK):
        return None
    return password


def credential_kind(value) -> str | None:
    """What the value is when it looks like a credential by its shape ("a GitHub token", "a URL with a
    password", ...), else None. References ($VAR, $(cmd), ERB) are not credentials."""
    if not isinstance(value, str) or isinstance(value, ErbValue):
        return None
    for kind, shape in TOKEN_SHAPES:
        if shape.search(value):
            return kind
    if _MASTER_KEY.match(value):
        return "32 hex digits, the shape of a Rails master key"
    if url_password(value):
        return "a URL with a password"
    return None


def is_flag_value(value) -> bool:
    """true/false/yes/1 and empty values switch something; they are not credentials."""
    return value is None or isinstance(value, bool) or str(value).strip().lower() in _FLAG_VALUES


def literal(value) -> bool:
    """A value written in the config (not by ERB) that is long enough to be worth hiding."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or isinstance(value, ErbValue):
        return False
    return len(str(value)) >= MIN_SECRET_LENGTH


def hidden_parts(name, value) -> set[str]:
    """The parts of one `name: value` setting that no output may show: the whole value when the name looks like a
    credential, else the tokens and URL passwords inside it."""
    if not literal(value) or is_flag_value(value):
        return set()
    text = str(value)
    if looks_like_secret_name(name) or _MASTER_KEY.match(text):
        return whole(text)
    found = set()
    for _, shape in TOKEN_SHAPES:
        for match in shape.finditer(text):
            found |= whole(match.group(0))
    password = url_password(text)
    if password:
        found |= whole(password)
    return found


def whole(value: str) -> set[str]:
    """A value to hide, and each of its lines when it has several: a report shows one source line at a time."""
    parts = {value, *(line.strip() for line in value.splitlines())}
    return {part for part in parts if len(part) >= MIN_SECRET_LENGTH}


def env_roots(view):
    """Every env of the config as (its path, the mapping): the root env, each role's, accessory's and env tag's."""
    roots = [("env",)]
    roots += [(*c.path, "env") for c in view.roles() if isinstance(c.config, dict)]
    roots += [(*c.path, "env") for c in view.accessories()]
    tags = view.get(("env", "tags"))
    roots += [("env", "tags", name) for name in (tags if isinstance(tags, dict) else {})]
    for root in roots:
        env = view.get(root)
        if isinstance(env, dict):
            yield root, env


def env_blocks(view):
    """Every env's clear settings as (path of the env, path of the clear mapping, the clear mapping). A simple-form
    env is its own clear mapping."""
    for root, env in env_roots(view):
        if not is_structured_env(env):
            yield root, root, env
        elif isinstance(env.get("clear"), dict):
            yield root, (*root, "clear"), env["clear"]


def is_structured_env(env: dict) -> bool:
    """Kamal's rule: once `clear`, `secret` or `tags` is there, the env is in clear/secret form."""
    return any(key in env for key in ("clear", "secret", "tags"))


def secret_values(view, project=None) -> set[str]:
    """Every value of this config that no output may show. With `project` (ProjectFiles), the literal values of
    the secrets files the config reads (for its destination) are included."""
    found: set[str] = set()
    if view.data is None:
        return found
    for _, _, clear in env_blocks(view):
        for name, value in clear.items():
            found |= hidden_parts(name, value)
    registries = [view.get(("registry",))] + [a.config.get("registry") for a in view.accessories()]
    for registry in registries:
        password = registry.get("password") if isinstance(registry, dict) else None
        if literal(password):
            found.add(str(password))
    key_data = view.get(("ssh", "key_data"))
    for item in key_data if isinstance(key_data, list) else []:
        if literal(item) and "PRIVATE KEY" in str(item):  # key data written inline rather than named as a secret
            found |= whole(str(item))
    if project is not None:
        from .kamal.secrets import literal_values

        found |= literal_values(view, project)
    return found


def redact(text: str, secrets) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
