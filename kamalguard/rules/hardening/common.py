"""What the hardening rules share: the containers they look at, how Kamal passes an option, docker sizes, mounts,
the flags `docker run` accepts, and what well-known accessory images need.

Kamal renders each key of `options:` as `--key`, verbatim: `read-only: true` gives `--read-only`, a list repeats
the flag, a scalar is one quoted value. So an option has exactly one spelling here (plus the hidden aliases Docker
still accepts, such as `net` for `network`); a one-letter key such as `v` becomes `--v`, which Docker rejects, and
KG114 reports it rather than every rule guessing what it meant. Values written by ERB are unknown: no rule judges
them.
"""

from __future__ import annotations

import inspect
import json
import os
import posixpath
import re
from functools import cache, lru_cache

from ...fix.edits import Edit, HostListToRoleMap
from ...kamal.view import Container
from ...record import Frozen
from ...source.scalars import ErbValue
from ..base import option_edits

CIS = "https://www.cisecurity.org/benchmark/docker"
OWASP = "https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html"
DOCKER_RUN = "https://docs.docker.com/reference/cli/docker/container/run/"


def cis(section: str, title: str) -> tuple[str, str]:
    return (f"CIS Docker Benchmark 1.6 §{section}: {title}", CIS)


def owasp(rule: str) -> tuple[str, str]:
    return (f"OWASP Docker Security Cheat Sheet, {rule}", OWASP)


_HEADER = """\
service: myapp
image: myorg/myapp
registry:
  username: myorg
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
"""


def deploy(body: str, builder: bool = True) -> str:
    """An example deploy.yml: the settings every config needs, then `body` (without `builder:` when it brings its
    own)."""
    header = _HEADER if builder else _HEADER[: _HEADER.index("builder:")]
    return header + inspect.cleandoc(body)


def unknown(value) -> bool:
    """A value ERB writes exists only at deploy time: never judge it."""
    return isinstance(value, ErbValue)


# --- containers and options -------------------------------------------------------------------------------------


def containers(ctx) -> list[Container]:
    """Every role (the implicit `web` of a plain host list included), every accessory, and kamal-proxy when
    `proxy.run` is written; without the ones whose settings or `options:` are ERB or not a mapping (their options
    are unknown, or KG004 reports the wrong type)."""
    found = []
    for container in ctx.view.containers():
        config = container.config
        if unknown(config) or (isinstance(config, dict) and config.get("options") is not None
                               and not isinstance(config["options"], dict)):
            continue
        found.append(container)
    return found


def option(container: Container, name: str) -> tuple[str, object] | None:
    """(key, value) of the option Kamal passes as `--name`, also under a hidden alias Docker accepts (`net`);
    None when it is not set."""
    options = container.options
    for key in (name, *aliases_of(name)):
        if key in options:
            return key, options[key]
    return None


def option_path(container: Container, key: str) -> tuple:
    return (*container.options_path, key)


def switched_on(value) -> bool:
    """A boolean flag is on for `true`, and for an empty value, which Kamal renders as the bare flag too."""
    return value is True or value is None


def item_paths(path: tuple, value) -> list[tuple[tuple, object]]:
    """(path, item) for each value of a string-or-list setting, so a finding can point at the item itself."""
    if isinstance(value, list):
        return [((*path, index), item) for index, item in enumerate(value)
                if item is not None and not isinstance(item, (bool, dict, list))]
    return [(path, value)] if value is not None and not isinstance(value, (bool, dict)) else []


def items(value) -> list:
    """An option's values, as Kamal renders them: a list repeats the flag, a scalar is one value."""
    return [item for _, item in item_paths((), value)]


def fix_edits(container: Container, sets: dict | None = None, adds: dict | None = None) -> tuple[Edit, ...]:
    """Edits that set options (`sets`: key → value) and add list items (`adds`: key → items) on a container; a
    host-list role is turned into a role map once, first."""
    edits: list[Edit] = []
    for key, value in (sets or {}).items():
        edits.extend(option_edits(container, key, value))
    for key, values in (adds or {}).items():
        edits.extend(option_edits(container, key, items=tuple(values)))
    conversions = [e for e in edits if isinstance(e, HostListToRoleMap)]
    return tuple(conversions[:1] + [e for e in edits if not isinstance(e, HostListToRoleMap)])


# --- the flags `docker run` accepts (kamalguard/data/docker-run-flags.json, made by scripts/docker_run_flags.py) ----


@lru_cache(maxsize=1)
def docker_flags() -> dict:
    """The flag list, read once per process (next to the package's code: importlib.resources alone would cost more
    than every hardening rule together)."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(package, "data", "docker-run-flags.json"), encoding="utf-8") as handle:
        return json.load(handle)


@cache
def aliases_of(name: str) -> tuple[str, ...]:
    return tuple(alias for alias, canonical in docker_flags()["aliases"].items() if canonical == name)


def takes_value(flag: str) -> bool | None:
    """Whether `--flag` takes a value; None when Docker does not know the flag."""
    data = docker_flags()
    flag = data["aliases"].get(flag, flag)
    if flag not in data["flags"]:
        return None
    return data["flags"][flag] is not None


# --- docker sizes --------------------------------------------------------------------------------------------------

_GO_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
MIN_MEMORY = 6 * 1024**2  # the Docker daemon refuses a smaller memory limit


def parse_size(value) -> int | None:
    """Bytes of a docker size such as `512m`, `1.5g`, `1GB`, `2GiB` or 1073741824, read the way the Docker CLI reads
    `--memory` (go-units RAMInBytes: binary multiples, any case, an optional space); None when Docker rejects it."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 and value == value and value != float("inf") else None
    if not isinstance(value, str):
        return None
    separator = max(value.rfind(c) for c in "0123456789. ")
    if separator < 0:
        return None
    if value[separator] == " ":
        number, suffix = value[:separator], value[separator + 1:]
    else:
        number, suffix = value[: separator + 1], value[separator + 1:]
    if not _GO_FLOAT.match(number) or float(number) < 0:
        return None
    size = float(number)
    suffix = suffix.lower()
    if not suffix or suffix == "b":
        return int(size)
    if len(suffix) > 3 or suffix[0] not in _UNITS or (len(suffix) == 2 and suffix[1] != "b") or (
            len(suffix) == 3 and suffix[1:] != "ib"):
        return None
    return int(size * _UNITS[suffix[0]])


def show_size(size: int) -> str:
    for unit, factor in sorted(_UNITS.items(), key=lambda u: -u[1]):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}b"


# --- mounts ----------------------------------------------------------------------------------------------------------


class Mount(Frozen):
    """A path mounted into a container, and where the config says so."""

    __slots__ = ("path", "source", "target", "unknown", "writable")

    def __init__(self, path: tuple, source: str | None, target: str | None, writable: bool, unknown: bool = False):
        self.path = path  # in the merged view
        self.source = source  # the host path or volume name; None for an anonymous volume or a tmpfs
        self.target = target  # the path inside the container; None when it cannot be read
        self.writable = writable
        self.unknown = unknown  # ERB writes it


def normal_path(path: str) -> str:
    """A path as the kernel resolves it on a Debian-like system, where /var/run is a link to /run."""
    path = posixpath.normpath(path) if path else path
    if path == "/var/run" or path.startswith("/var/run/"):
        path = "/run" + path[len("/var/run"):]
    return path


def covers(target: str, path: str) -> bool:
    """Is `path` the mount `target` itself, or inside it?"""
    target, path = normal_path(target), normal_path(path)
    return path == target or path.startswith(target.rstrip("/") + "/")


def volume_spec(text: str) -> tuple[str | None, str | None, bool]:
    """(source, target, writable) of `-v` syntax: `target`, `source:target` or `source:target:mode,...`."""
    parts = text.split(":")
    if len(parts) == 1:
        return None, parts[0], True
    modes = parts[2].split(",") if len(parts) >= 3 else []
    return parts[0], parts[1], "ro" not in modes and "readonly" not in modes


def mount_spec(text: str) -> tuple[str | None, str | None, bool]:
    """(source, target, writable) of `--mount type=bind,source=/a,target=/b,readonly` syntax (a tmpfs included)."""
    fields = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        fields[key.strip().lower()] = value.strip()
    source = fields.get("source", fields.get("src"))
    target = fields.get("target", fields.get("destination", fields.get("dst")))
    readonly = any(fields[key] in ("", "true", "1") for key in ("readonly", "ro") if key in fields)
    return source or None, target or None, not readonly


def _path_config(entry) -> tuple[str | None, str | None, bool] | None:
    """An accessory `directories`/`files` entry: `local:remote[:options]` or `{local, remote, options}`."""
    if isinstance(entry, dict):
        local, remote, options = entry.get("local"), entry.get("remote"), entry.get("options")
    elif isinstance(entry, str):
        local, remote, options = ([*entry.split(":", 2), None, None][:3])
    else:
        return None
    writable = not (isinstance(options, str) and "ro" in options.split(","))
    return (local if isinstance(local, str) else None), (remote if isinstance(remote, str) else None), writable


def mounts(ctx, container: Container) -> list[Mount]:
    """Everything mounted into the container: options `volume`, `mount` and `tmpfs`; for a role the root `volumes`
    and the assets volume; for an accessory its `volumes`, `directories` and `files`. Found once per check: several
    rules ask."""
    key = ("mounts", container.path)
    if key not in ctx.cache:
        ctx.cache[key] = _mounts(ctx, container)
    return ctx.cache[key]


def _mounts(ctx, container: Container) -> list[Mount]:
    found: list[Mount] = []
    options = container.options
    for key in ("volume", "mount", "tmpfs"):
        for path, text in item_paths(option_path(container, key), options.get(key)):
            if unknown(text) or not isinstance(text, str):
                found.append(Mount(path, None, None, True, unknown=True))
            elif key == "volume":
                found.append(Mount(path, *volume_spec(text)))
            elif key == "mount":
                found.append(Mount(path, *mount_spec(text)))
            else:
                found.append(Mount(path, None, text.split(":")[0], True))
    config = container.config if isinstance(container.config, dict) else {}
    view = ctx.view
    if container.kind == "role":
        sources = [(("volumes",), view.get(("volumes",)), "volume")]
        asset_owner = container.path if "asset_path" in config else ()
        asset = view.get((*asset_owner, "asset_path"))
        if isinstance(asset, str):
            found.append(Mount((*asset_owner, "asset_path"), None, asset.split(":")[0], True, unknown=unknown(asset)))
    elif container.kind == "accessory":
        sources = [((*container.path, key), config.get(key), kind)
                   for key, kind in (("volumes", "volume"), ("directories", "directory"), ("files", "file"))]
    else:
        sources = []
    for base, value, kind in sources:
        entries = [((*base, i), e) for i, e in enumerate(value)] if isinstance(value, list) else (
            [(base, value)] if value is not None else [])
        for path, entry in entries:
            if unknown(entry) or (isinstance(entry, dict) and any(unknown(v) for v in entry.values())):
                found.append(Mount(path, None, None, True, unknown=True))
            elif kind == "volume" and isinstance(entry, str):
                found.append(Mount(path, *volume_spec(entry)))
            elif kind != "volume":
                spec = _path_config(entry)
                if spec is not None:
                    found.append(Mount(path, *spec))
    return found


# --- images ------------------------------------------------------------------------------------------------------


class ImageProfile(Frozen):
    """What an image needs to run hardened."""

    __slots__ = ("switch_user_caps", "writable")

    def __init__(self, writable: tuple[str, ...], switch_user_caps: tuple[str, ...] = ()):
        self.writable = writable  # paths it writes outside its VOLUMEs (which stay writable with --read-only)
        # Its entrypoint starts as root and switches to a service user (gosu/su-exec): with cap-drop ALL it needs
        # these back, unless `user:` starts it as that user already.
        self.switch_user_caps = switch_user_caps


_SWITCH = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID")
_POSTGRES = ImageProfile(("/var/run/postgresql", "/tmp"), _SWITCH)

# Keyed by the image's last name component (`pgvector/pgvector:pg17` → pgvector). Anything else: GENERIC.
IMAGES = {
    "postgres": _POSTGRES,
    "pgvector": _POSTGRES,
    "postgis": _POSTGRES,
    "timescaledb": _POSTGRES,
    "mysql": ImageProfile(("/var/run/mysqld", "/tmp"), _SWITCH),
    "mariadb": ImageProfile(("/run/mysqld", "/tmp"), _SWITCH),
    "redis": ImageProfile(("/tmp",), _SWITCH),
    "valkey": ImageProfile(("/tmp",), _SWITCH),
    "mongo": ImageProfile(("/tmp",), _SWITCH),
    "rabbitmq": ImageProfile(("/tmp",), _SWITCH),
    "memcached": ImageProfile(("/tmp",)),
    "nginx": ImageProfile(("/var/cache/nginx", "/var/run", "/tmp"), ("CHOWN", "SETGID", "SETUID")),
    "kamal-proxy": ImageProfile(("/tmp",)),
}
GENERIC = ImageProfile(("/tmp",))


def image_name(image) -> str | None:
    """`ghcr.io/org/pgvector:pg17@sha256:...` → pgvector; None when ERB writes it or it is not text."""
    if not isinstance(image, str) or unknown(image):
        return None
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower() or None


def container_image(container: Container) -> str | None:
    if container.kind == "proxy":
        repository = container.config.get("repository") if isinstance(container.config, dict) else None
        return image_name(repository) if repository is not None else "kamal-proxy"
    if container.kind == "accessory" and isinstance(container.config, dict):
        return image_name(container.config.get("image"))
    return None


def profile(container: Container) -> ImageProfile:
    return IMAGES.get(container_image(container) or "", GENERIC)


# --- writable paths (KG102's settings; KG101's fix adds the same tmpfs entries) ----------------------------------

WORKDIR = "<WORKDIR>"
APP_WRITABLE_PATHS = [f"{WORKDIR}/tmp", "/tmp"]
DEFAULT_WORKDIR = "/rails"  # Rails' Dockerfile, when the Dockerfile cannot be read


def image_writable_defaults() -> dict:
    return {name: list(image.writable) for name, image in IMAGES.items()}


def _kg102_setting(ctx, name: str, default):
    value = ctx.policy.setting("KG102", name) if ctx.policy is not None else None
    return default if value is None else value


def app_workdir(ctx) -> str | None:
    """WORKDIR of the image Kamal builds: the final stage (or builder.target) of builder.dockerfile; /rails when
    there is no Dockerfile to read; None when ERB names the Dockerfile or the target (unknown until deploy)."""
    if ctx.view.is_erb(("builder", "dockerfile")) or ctx.view.is_erb(("builder", "target")):
        return None
    from ...kamal.build import build

    stage = build(ctx).final_stage
    return stage.workdir if stage is not None else DEFAULT_WORKDIR


def writable_paths(ctx, container: Container) -> list[str] | None:
    """The paths a container must be able to write once its root filesystem is read-only (KG102's settings):
    for roles `writable_paths` with <WORKDIR> expanded; for accessories and kamal-proxy `image_writable_paths`
    by accessory name, then image name, else /tmp. None when they depend on an unknown WORKDIR."""
    if container.kind == "role":
        paths = []
        for path in _kg102_setting(ctx, "writable_paths", APP_WRITABLE_PATHS):
            if WORKDIR in path:
                workdir = app_workdir(ctx)
                if workdir is None:
                    return None
                path = path.replace(WORKDIR, workdir.rstrip("/"))
            paths.append(posixpath.normpath(path or "/"))
        return list(dict.fromkeys(paths))
    table = {**image_writable_defaults(), **_kg102_setting(ctx, "image_writable_paths", {})}
    for name in (container.name, container_image(container)):
        if name in table:
            return list(table[name])
    return list(GENERIC.writable)


def uncovered_paths(ctx, container: Container) -> list[str] | None:
    """The writable paths that no tmpfs or writable volume covers; None when that cannot be known (an ERB mount
    could cover anything, or the WORKDIR is unknown)."""
    paths = writable_paths(ctx, container)
    found = mounts(ctx, container)
    if paths is None or any(m.unknown for m in found):
        return None
    return [p for p in paths if not any(m.writable and m.target and covers(m.target, p) for m in found)]


# --- builder.arch (KG117, KG118) ----------------------------------------------------------------------------------

ARCHES = ("amd64", "arm64")
_ARCH_SPELLINGS = {"x86_64": "amd64", "x86-64": "amd64", "x64": "amd64", "aarch64": "arm64", "arm64/v8": "arm64",
                   "armv8": "arm64"}


def canonical_arch(value) -> str | None:
    """amd64/arm64 for a value that names one (`linux/amd64`, `x86_64`, `aarch64`, any case); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip().lower().removeprefix("linux/")
    return text if text in ARCHES else _ARCH_SPELLINGS.get(text)


def builder_arches(ctx) -> list | None:
    """The values of builder.arch as written (a string becomes a one-item list); None when it is missing or
    blank (KG005 reports that) or ERB writes any of it."""
    value = ctx.view.get(("builder", "arch"))
    values = value if isinstance(value, list) else [value]
    if value is None or not values or any(v is None or unknown(v) for v in values):
        return None
    return values
