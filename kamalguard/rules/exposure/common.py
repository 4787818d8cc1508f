"""What the exposure rules share: reading `docker run --publish` specs and image references, and the hosts a
config deploys to."""

from __future__ import annotations

import re

from ...record import Frozen
from ...source.scalars import ErbValue

ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")
DOCKER_PORTS = "https://docs.docker.com/engine/network/port-publishing/"
DOCKER_UFW = "https://docs.docker.com/engine/network/packet-filtering-firewalls/#docker-and-ufw"


class Publish(Frozen):
    """One `--publish [IP:][HOST:]CONTAINER[/PROTO]` spec."""

    __slots__ = ("address", "container", "host", "protocol")

    def __init__(self, address: str, host: str, container: str, protocol: str):
        self.address = address  # the host address it binds, "" for every interface
        self.host = host  # the host port ("" when Docker picks one)
        self.container = container
        self.protocol = protocol  # "" or "/udp", "/tcp", "/sctp"

    @property
    def every_interface(self) -> bool:
        return self.address in ALL_INTERFACES

    def on(self, address: str) -> str:
        return f"{address}:{self.host or self.container}:{self.container}{self.protocol}"


_PORTS = re.compile(r"\d+(?:-\d+)?\Z")


def parse_publish(spec) -> Publish | None:
    """The parts of a publish spec, or None when ERB writes it or it is not one (Docker would reject it)."""
    if isinstance(spec, (ErbValue, bool)) or not isinstance(spec, (str, int)):
        return None
    text = str(spec).strip()
    text, _, protocol = text.partition("/")
    protocol = f"/{protocol}" if protocol else ""
    if text.startswith("["):  # [IPv6]:host:container
        address, _, rest = text[1:].partition("]")
        address, parts = f"[{address}]", rest.lstrip(":").split(":")
    else:
        parts = text.split(":")
        address = ":".join(parts[:-2])
    host, container = (parts[-2] if len(parts) > 1 else ""), parts[-1]
    if not _PORTS.match(container) or (host and not _PORTS.match(host)):
        return None
    return Publish(address, host, container, protocol)


_REGISTRY_HOST = re.compile(r"[^/]*[.:][^/]*\Z|localhost\Z")


def registry_of(image: str) -> str | None:
    """The registry host an image reference names (`ghcr.io/org/app` → ghcr.io), None for Docker Hub names."""
    first, slash, _ = image.partition("/")
    return first if slash and _REGISTRY_HOST.match(first) else None


def tag_and_digest(image: str) -> tuple[str | None, str | None]:
    """The tag and the digest of an image reference: `postgres:16@sha256:...` → ("16", "sha256:...")."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    return tag, (digest or None)


def deploy_hosts(view) -> list[str] | None:
    """The distinct hosts the roles deploy to, or None when ERB writes some of them."""
    hosts: list[str] = []
    for role in view.roles():
        names = view.role_hosts(role)
        if names is None:
            return None
        hosts += [h for h in names if h not in hosts]
    return hosts
