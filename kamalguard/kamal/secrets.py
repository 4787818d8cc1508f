"""The `.kamal/secrets*` files a config reads, and the secret names the config looks up in them.

Kamal 2.11 (lib/kamal/secrets.rb) reads `<secrets_path>-common`, then `<secrets_path>` without a destination or
`<secrets_path>.<destination>` with one (then `<secrets_path>` itself is not read); `secrets_path` defaults to
`.kamal/secrets`. Later files override earlier ones. The files are dotenv files: Kamal runs `$(...)` in them
and expands `$VAR` / `${VAR}`, except in single-quoted values. kamalguard parses them with python-dotenv's
parser, which never expands or runs anything, and only classifies each value:

- a *reference* holds `$(...)`, `$VAR` or `${VAR}` (which includes the `kamal secrets` helpers);
- a *literal* is everything else that is not empty, and a single-quoted value even when it holds `$(...)`.

A value that mixes references with a literal password (`postgres://app:PASSWORD@$HOST/db`) counts as literal.
"""

from __future__ import annotations

import os
import re
from functools import cache

from ..record import Frozen, Record
from ..redact import MASK, credential_kind, env_roots, is_structured_env, looks_like_secret_name, url_password, whole
from ..source.document import Document
from ..source.scalars import ErbValue
from ..source.text import SourceText
from .project import display_path

DEFAULT_PATH = ".kamal/secrets"
# Ruby dotenv's substitutions: an unescaped $(command), ${VAR} or $VAR.
_SUBSTITUTION = re.compile(r"(?<!\\)\$(?:\((?:[^()]|\([^()]*\))*\)|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_VARIABLE = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Quoted dotenv values, as python-dotenv reads them; and what may precede a key on its line.
_QUOTED = {"'": re.compile(r"'((?:\\.|[^'\\])*)'", re.S), '"': re.compile(r'"((?:\\.|[^"\\])*)"', re.S)}
_KEY_START = re.compile(r"\s*(?:export\s+)?")


class Assignment(Frozen):
    __slots__ = ("_reference", "column", "key", "line", "quote", "raw", "value")

    def __init__(self, key: str, value: str, raw: str, quote: str, line: int, column: int):
        self.key = key
        self.value = value  # as dotenv reads it: quotes removed, escapes decoded. Never shown.
        self.raw = raw  # the value as written in the file, without its quotes
        self.quote = quote  # "'", '"' or "" (unquoted)
        self.line = line  # 1-based, where the key is
        self.column = column  # 1-based
        # decided once: the rules and redaction all ask, for every config that reads the file
        self._reference = quote != "'" and bool(_SUBSTITUTION.search(value)) and not self.hidden_literal()

    @property
    def reference(self) -> bool:
        return self._reference

    @property
    def literal(self) -> bool:
        return bool(self.value) and not self.reference

    def hidden_literal(self) -> str | None:
        """A literal credential left in a value that also holds references (a URL's password, a token)."""
        rest = _SUBSTITUTION.sub("", self.value)
        return url_password(self.value) or (rest if credential_kind(rest) else None)

    def hidden(self) -> set[str]:
        """What no output may show of this line: the value (as read and as written) when it is literal."""
        if self.literal:
            return whole(self.value) | whole(self.raw)
        return set()


class SecretsFile(Record):
    __slots__ = ("assignments", "document", "path")

    def __init__(self, path: str, assignments: list[Assignment], document: Document):
        self.path = path  # relative to the project root
        self.assignments = assignments
        self.document = document  # the file with every value replaced by ***, for findings that point at its lines

    def literals(self) -> list[Assignment]:
        """The assignments that write a value out, except helper variables: a value other lines of the file use
        (`VAULT=Production` for `$(op read op://$VAULT/...)`) whose name and value do not look like a credential."""
        used = {m.group(1) or m.group(2) for a in self.assignments if a.quote != "'"
                for m in _VARIABLE.finditer(a.value)}
        return [a for a in self.assignments if a.literal and not (
            a.key in used and not looks_like_secret_name(a.key) and not credential_kind(a.value))]


class Secrets(Record):
    __slots__ = ("candidates", "files", "known")

    def __init__(self, candidates: list[str], files: list[SecretsFile] | None = None, known: bool = True):
        self.candidates = candidates  # the files Kamal tries, in order
        self.files: list[SecretsFile] = [] if files is None else files  # those of them that exist in the project
        self.known = known  # False when ERB names the secrets path, or a file lies outside the project

    @property
    def names(self) -> set[str]:
        return {a.key for f in self.files for a in f.assignments}


def candidates(view) -> list[str] | None:
    """The secrets files Kamal reads for this config (relative to the project root), or None when ERB names them."""
    path = view.get(("secrets_path",))
    if path is None:
        path = DEFAULT_PATH
    if isinstance(path, ErbValue) or not isinstance(path, str) or not path.strip():
        return None
    destination = view.destination
    return [f"{path}-common", f"{path}.{destination}" if destination else path]


def load(view, project) -> Secrets:
    names = candidates(view)
    if names is None or project is None:
        return Secrets(names or [], known=False)
    secrets = Secrets(names)
    for name in names:
        if not project.inside(name):
            secrets.known = False
            continue
        text = project.read(name)
        if text is not None:
            secrets.files.append(parse(text, name, display_path(os.path.join(project.root, name))))
    return secrets


def secrets(ctx) -> Secrets:
    """The secrets files of the checked config, read once per check."""
    if "secrets" not in ctx.cache:
        ctx.cache["secrets"] = load(ctx.view, ctx.project)
    return ctx.cache["secrets"]


def literal_values(view, project) -> set[str]:
    """Every literal value of the secrets files this config reads: what redaction must hide."""
    found: set[str] = set()
    for secrets_file in load(view, project).files:
        for assignment in secrets_file.assignments:
            found |= assignment.hidden()
    return found


# text -> (its assignments, the text as findings show it): parsed once per process, however many configs read the
# same file (every destination of a project reads .kamal/secrets-common; redaction and the rules both need it).
_PARSED: dict[str, tuple[tuple[Assignment, ...], str]] = {}


def parse(text: str, path: str, shown: str | None = None) -> SecretsFile:
    """A dotenv file's assignments, with the line and column of each key. Nothing is expanded or run."""
    if text not in _PARSED:
        _PARSED[text] = _parse(text)
    assignments, masked = _PARSED[text]
    return SecretsFile(path, list(assignments), Document(SourceText(path=shown or path, text=masked)))


def _parse(text: str) -> tuple[tuple[Assignment, ...], str]:
    text = text.replace("\r\n", "\n")
    if not text.strip():  # an empty file defines nothing: no need to load python-dotenv's parser
        return (), text
    import io

    lines = text.split("\n")
    assignments: list[Assignment] = []
    for binding in _dotenv_parser().parse_stream(io.StringIO(text)):
        if binding.key is None or binding.error:
            continue
        original = binding.original.string
        body = original.lstrip()
        line = binding.original.line + original[: len(original) - len(body)].count("\n")
        column = _key_column(lines[line - 1] if line - 1 < len(lines) else "", binding.key)
        raw, quote = _written_value(body)
        assignments.append(Assignment(binding.key, binding.value or "", raw, quote, line, column))
    return tuple(assignments), _masked(lines, assignments)


@cache
def _dotenv_parser():
    """python-dotenv's parser module, `dotenv.parser`, loaded from its file on its own. Imported the usual way, it
    first runs the package's __init__, which loads python-dotenv's file-loading API and with it logging, tempfile
    and shutil (6 to 8 ms, some 7% of a check) for code kamalguard never calls; the parser itself needs only
    codecs, re and typing. A python-dotenv laid out differently gets the usual import."""
    import importlib.util

    package = importlib.util.find_spec("dotenv")  # found, not imported
    folders = package.submodule_search_locations if package is not None else None
    path = os.path.join(folders[0], "parser.py") if folders else None
    if path is None or not os.path.isfile(path):
        from dotenv import parser

        return parser
    spec = importlib.util.spec_from_file_location("dotenv.parser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _written_value(body: str) -> tuple[str, str]:
    """The value as written after `KEY=`, without its quotes, and the quote character (dotenv's own rules)."""
    after = body.split("=", 1)[1].lstrip(" \t") if "=" in body else ""
    quote = after[:1] if after[:1] in _QUOTED else ""
    if quote:
        match = _QUOTED[quote].match(after)
        return (match.group(1) if match else after[1:]), quote
    return after.split("\n", 1)[0].split(" #", 1)[0].strip(), ""


def _key_column(line: str, key: str) -> int:
    """1-based column of the key on its line, after any indentation and `export`."""
    start = _KEY_START.match(line).end()
    return start + 1 if line[start:].lstrip("'").startswith(key) else 1


def _masked(lines: list[str], assignments: list[Assignment]) -> str:
    """The file as findings show it: after each `KEY=`, *** instead of the value (and of its further lines)."""
    shown = list(lines)
    for assignment in assignments:
        index = assignment.line - 1
        if index >= len(shown) or "=" not in shown[index]:
            continue
        head = shown[index].split("=", 1)[0]
        shown[index] = f"{head}={MASK}"
        extra = assignment.raw.count("\n") if assignment.quote else 0
        for following in range(index + 1, min(index + 1 + extra, len(shown))):
            shown[following] = MASK
    return "\n".join(shown)


class Reference(Frozen):
    __slots__ = ("name", "path", "what")

    def __init__(self, path: tuple, name: str, what: str):
        self.path = path  # where the config names the secret
        self.name = name  # the secret Kamal looks up
        self.what = what  # what the secret is for, in words


def references(view) -> list[Reference]:
    """Every secret name the config looks up: env `secret` lists (NAME, or NAME:ALIAS which looks up ALIAS),
    registry username/password given as [NAME], builder.secrets, proxy ssl PEMs, and ssh key_data names."""
    found: list[Reference] = []

    def add(path, name, what):
        if isinstance(name, str) and not isinstance(name, ErbValue) and name.strip():
            found.append(Reference(path, name.split(":", 1)[-1], what))

    for root, env in env_roots(view):
        listed = env.get("secret") if is_structured_env(env) else None
        for index, item in enumerate(listed if isinstance(listed, list) else []):
            add((*root, "secret", index), item, f"env {str(item).split(':', 1)[0]}")
    registries = [("registry",)] + [(*a.path, "registry") for a in view.accessories()]
    for path in registries:
        registry = view.get(path)
        for key in ("username", "password"):
            value = registry.get(key) if isinstance(registry, dict) else None
            if isinstance(value, list) and value:
                add((*path, key, 0), value[0], f"the registry {key}")
    listed = view.get(("builder", "secrets"))
    for index, item in enumerate(listed if isinstance(listed, list) else []):
        add(("builder", "secrets", index), item, "a build secret")
    proxies = [("proxy",)] + [(*c.path, "proxy") for c in [*view.roles(), *view.accessories()]]
    for path in proxies:
        ssl = view.get((*path, "ssl"))
        for key in ("certificate_pem", "private_key_pem"):
            if isinstance(ssl, dict):
                add((*path, "ssl", key), ssl.get(key), "the proxy's TLS " + key.split("_pem")[0].replace("_", " "))
    key_data = view.get(("ssh", "key_data"))
    for index, item in enumerate(key_data if isinstance(key_data, list) else []):
        if isinstance(item, str) and _NAME.match(item):  # anything else is key data written inline
            add(("ssh", "key_data", index), item, "SSH key data")
    return found
