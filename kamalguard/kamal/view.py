"""The Kamal view: the config Kamal would deploy (destination merged in), with its roles and accessories.

Every value keeps its provenance: `origin(path)` names the file and nodes that wrote the effective value, so a
finding in a destination's merged view points into the overlay when the overlay set the value.
"""

from __future__ import annotations

from ..record import Frozen
from ..source.document import Document, Loc, Path
from ..source.nodes import Node
from ..source.scalars import ErbValue

MISSING = object()


def deep_merge(base, overlay):
    """ActiveSupport's Hash#deep_merge, as Kamal merges a destination: mappings recurse, all else replaces."""
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return overlay
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = deep_merge(merged[key], value) if key in merged else value
    return merged


def lookup(data, path: Path, default=MISSING):
    for part in path:
        if isinstance(data, dict):
            data = data.get(part, MISSING)  # keys are strings (ruby_key): a part of another type finds nothing
            if data is MISSING:
                return default
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data


def slash(path: Path) -> str:
    """The path as Kamal prints it: servers/web/options."""
    return "/".join(str(p) for p in path)


class Origin(Frozen):
    __slots__ = ("doc", "loc")

    def __init__(self, doc: Document, loc: Loc):
        self.doc = doc
        self.loc = loc


class Container(Frozen):
    """Something Kamal starts with `docker run`: a role, an accessory, or kamal-proxy itself."""

    __slots__ = ("_options", "config", "implicit", "kind", "name", "path")

    def __init__(self, kind: str, name: str, path: Path, config: object, implicit: bool = False):
        self.kind = kind  # "role" | "accessory" | "proxy"
        self.name = name
        self.path = path  # where its settings live: ("servers", "web"), ("accessories", "db"), ("proxy", "run")
        self.config = config  # its merged settings: a dict, or a host list for a role written as one
        self.implicit = implicit  # the `web` role of a plain `servers:` host list
        options = config.get("options") if isinstance(config, dict) else None
        self._options = options if isinstance(options, dict) else {}  # every hardening rule asks, many times

    @property
    def options_path(self) -> Path:
        return (*self.path, "options")

    @property
    def options(self) -> dict:
        return self._options

    @property
    def label(self) -> str:
        return {"role": "role", "accessory": "accessory", "proxy": "kamal-proxy"}[self.kind] + (
            f" '{self.name}'" if self.kind != "proxy" else ""
        )


class View:
    """A view never changes once made (a patched config gets a new one), so its containers are found once; every
    rule asks for them."""

    def __init__(self, layers: list[Document], destination: str | None = None):
        self.layers = layers  # base first, then the destination's overlay
        self.destination = destination
        data = None
        if all(isinstance(doc.data, dict) for doc in layers):
            for doc in layers:
                data = doc.data if data is None else deep_merge(data, doc.data)
        self.data: dict | None = data
        self._roles: tuple[Container, ...] | None = None
        self._accessories: tuple[Container, ...] | None = None
        self._proxy: Container | object | None = MISSING

    @property
    def base(self) -> Document:
        return self.layers[0]

    def get(self, path: Path, default=None):
        value = lookup(self.data, path)
        return default if value is MISSING else value

    def has(self, path: Path) -> bool:
        return lookup(self.data, path) is not MISSING

    def origin(self, path: Path) -> Origin | None:
        """The file and nodes that wrote the effective value at `path`, or None when nothing is there."""
        if not self.has(path):
            return None
        for doc in reversed(self.layers):
            loc = doc.locations.get(path)
            if loc is not None:
                return Origin(doc, loc)
        return None

    def nearest(self, path: Path) -> tuple[Origin, Path]:
        """The origin of `path`, or of its closest ancestor that exists."""
        while path:
            origin = self.origin(path)
            if origin is not None:
                return origin, path
            path = path[:-1]
        return Origin(self.base, self.base.locations.get((), Loc(None, _empty_node()))), ()

    def live_layers(self, path: Path) -> list[Document]:
        """The files whose mapping at `path` is part of the merged mapping there (base first).

        A file stops counting once a later file replaces that mapping, or one of its parents, with a non-mapping.
        """
        live = []
        for index, doc in enumerate(self.layers):
            if not isinstance(lookup(doc.data, path, None), dict):
                continue
            replaced = any(
                later.locations.get(path[:depth]) is not None and not isinstance(lookup(later.data, path[:depth]), dict)
                for later in self.layers[index + 1 :]
                for depth in range(1, len(path) + 1)
            )
            if not replaced:
                live.append(doc)
        return live

    def is_erb(self, path: Path) -> bool:
        origin = self.origin(path)
        return origin is not None and origin.doc.is_erb(path)

    def roles(self) -> list[Container]:
        if self._roles is None:
            servers = self.get(("servers",))
            if isinstance(servers, list):
                self._roles = (Container("role", "web", ("servers", "web"), {"hosts": servers}, implicit=True),)
            elif isinstance(servers, dict):
                self._roles = tuple(Container("role", str(name), ("servers", name), config)
                                    for name, config in servers.items())
            else:
                self._roles = ()
        return list(self._roles)

    def accessories(self) -> list[Container]:
        if self._accessories is None:
            accessories = self.get(("accessories",))
            self._accessories = tuple(Container("accessory", str(name), ("accessories", name), config)
                                      for name, config in accessories.items() if isinstance(config, dict)) \
                if isinstance(accessories, dict) else ()
        return list(self._accessories)

    def primary_role_name(self) -> str:
        return self.get(("primary_role",)) or "web"

    @staticmethod
    def role_hosts(role: Container) -> list | None:
        """The role's host names as Kamal reads them (a host may carry tags: `{host: tag}`), or None when ERB
        writes them and they are unknown until deploy time."""
        hosts = role.config if isinstance(role.config, list) else (
            role.config.get("hosts") if isinstance(role.config, dict) else None)
        if isinstance(hosts, ErbValue) or (isinstance(hosts, list) and any(isinstance(h, ErbValue) for h in hosts)):
            return None
        if hosts is None:
            return []
        names = []
        for host in hosts if isinstance(hosts, list) else [hosts]:
            if isinstance(host, dict) and host:
                names.append(next(iter(host)))
            elif isinstance(host, str):
                names.append(host)
        return names

    def role_proxy(self, role: Container) -> dict | None:
        """The proxy settings a role runs with, or None when it runs without kamal-proxy. The primary role uses
        the proxy unless it says `proxy: false`; other roles only when they say so. The role's own settings
        are deep-merged over the root `proxy`, as Kamal does."""
        own = role.config.get("proxy") if isinstance(role.config, dict) else None
        primary = role.name == self.primary_role_name()
        if (primary and own is False) or (not primary and not own):
            return None
        root = self.get(("proxy",))
        return deep_merge(dict(root) if isinstance(root, dict) else {}, own if isinstance(own, dict) else {})

    def proxy(self) -> Container | None:
        """kamal-proxy runs wherever a role uses the proxy; its `docker run` options live in proxy.run."""
        if self._proxy is MISSING:
            proxy = self.get(("proxy",))
            run = proxy.get("run") if isinstance(proxy, dict) else None
            self._proxy = Container("proxy", "kamal-proxy", ("proxy", "run"), run) if isinstance(run, dict) else None
        return self._proxy

    def containers(self) -> list[Container]:
        proxy = self.proxy()
        return [*self.roles(), *self.accessories(), *([proxy] if proxy else [])]


def _empty_node() -> Node:
    return Node(0, 0, None, None)
