"""The hardening rules (KG101–KG119) on the containers Kamal starts, as a user meets them.

Every container rule is run where Kamal passes options to `docker run`: a role, an accessory, kamal-proxy's
`proxy.run.options`, and a value that a destination overlay writes (`-d staging`; the finding must then point
into the overlay). The implicit `web` role of a plain host list has no options: a rule that asks for an option
fires there (and its fix first turns the host list into a role map), a rule that judges an option's value has
nothing to judge. Then: policy settings, per-image accessory defaults, fixes as data, suppressions, `explain`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from kamalguard.engine import Selection, run
from kamalguard.fix.edits import AddItems, HostListToRoleMap, RemoveKey, RenameKey, SetKey
from kamalguard.kamal.project import resolve_targets
from kamalguard.rules import all_rules
from kamalguard.rules.hardening.common import covers, parse_size

from .conftest import check_json, run_cli, write_project

HEADER = """\
service: myapp
image: myorg/myapp
registry:
  username: myorg
  password: [KAMAL_REGISTRY_PASSWORD]
"""
BUILDER = "builder:\n  arch: amd64\n"


def block(mapping: dict, indent: int) -> str:
    """`key: value` lines; values in JSON, which is YAML's flow style."""
    pad = " " * indent
    return "".join(f"{pad}{key}: {json.dumps(value)}\n" for key, value in mapping.items())


def role(options: dict | None, overlay: bool = False) -> str:
    """The `web` role with these options; in an overlay, only the options."""
    text = "servers:\n  web:\n" + ("" if overlay else "    hosts: [192.0.2.10]\n")
    return text + ("    options:\n" + block(options, 6) if options is not None else "")


def accessory(options: dict | None, overlay: bool = False) -> str:
    """A redis accessory `cache` with these options (beside a web role); in an overlay, only the options."""
    text = "accessories:\n  cache:\n" + ("" if overlay else "    image: redis:7\n    host: 192.0.2.20\n")
    text += "    options:\n" + block(options, 6) if options is not None else ""
    return text if overlay else role(None) + text


def proxy(options: dict) -> str:
    return "servers:\n  web:\n    hosts: [192.0.2.10]\nproxy:\n  run:\n    options:\n" + block(options, 6)


def project(tmp_path, deploy: str, builder: str = BUILDER, **files) -> str:
    return write_project(tmp_path, {"config/deploy.yml": HEADER + builder + deploy, **files})


def findings(report: dict, rule: str, **owner) -> list[dict]:
    """Unsuppressed findings of `rule`, for one role/accessory when given (role=..., accessory=...)."""
    return [f for f in report["findings"] if f["rule"] == rule and f["suppressed"] is None
            and all(f[key] == value for key, value in owner.items())]


def outcome(project_dir: str, destination: str | None = None, select: str = "KG1"):
    """The in-process outcome, whose findings carry their fixes as Edit objects."""
    return run(resolve_targets([project_dir], destination, False), Selection([select], []))


@dataclass(frozen=True)
class Case:
    rule: str
    good: dict  # options that keep the rule silent
    bad: dict  # options that, written over `good`, make it fire
    asks_for_option: bool = False  # it fires on a container without options (such as the implicit web role)


CASES = [
    Case("KG101", {"read-only": True, "tmpfs": ["/rails/tmp", "/tmp"]}, {"read-only": False}, asks_for_option=True),
    Case("KG102", {"read-only": True, "tmpfs": ["/rails/tmp", "/tmp"]}, {"tmpfs": ["/rails/tmp"]}),
    Case("KG103", {"cap-drop": ["ALL"]}, {"cap-drop": ["NET_RAW"]}, asks_for_option=True),
    Case("KG104", {"cap-add": ["NET_BIND_SERVICE"]}, {"cap-add": ["SYS_ADMIN"]}),
    Case("KG105", {"security-opt": ["no-new-privileges"]}, {"security-opt": ["no-new-privileges:false"]},
         asks_for_option=True),
    Case("KG106", {"memory": "1g"}, {"memory": "lots"}, asks_for_option=True),
    Case("KG107", {"memory": "1g", "memory-swap": "1g"}, {"memory-swap": "2g"}),
    Case("KG108", {"cap-drop": ["ALL"]}, {"privileged": True}),
    Case("KG109", {"network": "private"}, {"pid": "host"}),
    Case("KG110", {"volume": ["/var/log:/host/var/log:ro"]}, {"volume": ["/var/run/docker.sock:/var/run/docker.sock"]}),
    Case("KG111", {"security-opt": ["no-new-privileges"]}, {"security-opt": ["seccomp=unconfined"]}),
    Case("KG112", {"pids-limit": 500}, {"pids-limit": -1}, asks_for_option=True),
    Case("KG113", {"cpus": 1.5}, {"cpus": 0}, asks_for_option=True),
    Case("KG114", {"read-only": True}, {"readonly": True}),
    Case("KG115", {"init": True}, {"init": False}),
    Case("KG116", {"user": "1000:1000"}, {"user": "root"}),
]
PLACEMENTS = {"role": (role, {"role": "web"}), "accessory": (accessory, {"accessory": "cache"}),
              "kamal-proxy": (proxy, {"role": None, "accessory": None})}


def test_every_container_rule_has_a_case():
    hardening = {r.id for r in all_rules() if r.family == "hardening"}
    assert hardening - {c.rule for c in CASES} == {"KG117", "KG118", "KG119"}  # builder rules: see BUILDER_CASES


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_fires_on_a_bad_value(case, placement, tmp_path):
    write, owner = PLACEMENTS[placement]
    report = check_json(project(tmp_path, write({**case.good, **case.bad})))
    assert findings(report, case.rule, **owner), report["findings"]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_silent_on_a_good_value(case, placement, tmp_path):
    write, owner = PLACEMENTS[placement]
    report = check_json(project(tmp_path, write(case.good)))
    assert not findings(report, case.rule, **owner)


@pytest.mark.parametrize("placement", ["role", "accessory"])
@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_a_bad_value_from_a_destination_points_into_its_overlay(case, placement, tmp_path):
    write, owner = PLACEMENTS[placement]
    overlay = write({**case.good, **case.bad}, overlay=True)
    folder = project(tmp_path, write(case.good), **{"config/deploy.staging.yml": overlay})
    found = findings(check_json(folder, "-d", "staging"), case.rule, **owner)
    assert found and all(f["file"].endswith("config/deploy.staging.yml") for f in found), found
    assert all(f["destination"] == "staging" for f in found)


@pytest.mark.parametrize("placement", ["role", "accessory"])
@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_a_good_value_from_a_destination_counts(case, placement, tmp_path):
    write, owner = PLACEMENTS[placement]
    overlay = write(case.good, overlay=True)
    folder = project(tmp_path, write(None), **{"config/deploy.staging.yml": overlay})
    assert not findings(check_json(folder, "-d", "staging"), case.rule, **owner)


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_the_implicit_web_role(case, tmp_path):
    report = check_json(project(tmp_path, "servers:\n  - 192.0.2.10\n"))
    found = findings(report, case.rule, role="web")
    assert bool(found) == case.asks_for_option, found
    for finding in found:
        assert finding["line"] == 8  # `servers:`, the only place to fix it
        if finding["fix"]:
            assert finding["fix"]["edits"][0] == "turn servers/web into a role map with hosts:"


# --- the builder rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuilderCase:
    rule: str
    good: dict
    bad: dict  # written over `good`
    missing: dict  # a base the overlay's `good` completes


BUILDER_CASES = [
    BuilderCase("KG117", {"arch": "amd64"}, {"arch": "linux/amd64"}, {"arch": "x86_64"}),
    BuilderCase("KG118", {"arch": ["amd64", "arm64"], "remote": "ssh://docker@192.0.2.50"}, {"remote": ""},
                {"arch": ["amd64", "arm64"]}),
    BuilderCase("KG119", {"arch": "amd64", "cache": {"type": "registry"}}, {"cache": None}, {"arch": "amd64"}),
]


def builder(settings: dict) -> str:
    return "builder:\n" + block(settings, 2)


@pytest.mark.parametrize("case", BUILDER_CASES, ids=[c.rule for c in BUILDER_CASES])
def test_builder_rules_in_the_base(case, tmp_path):
    bad = check_json(project(tmp_path / "bad", role(None), builder({**case.good, **case.bad})))
    good = check_json(project(tmp_path / "good", role(None), builder(case.good)))
    assert findings(bad, case.rule) and not findings(good, case.rule)


@pytest.mark.parametrize("case", BUILDER_CASES, ids=[c.rule for c in BUILDER_CASES])
def test_builder_rules_in_a_destination(case, tmp_path):
    bad = check_json(project(tmp_path / "bad", role(None), builder(case.good),
                             **{"config/deploy.staging.yml": builder(case.bad)}), "-d", "staging")
    found = findings(bad, case.rule)
    assert found and all(f["file"].endswith("config/deploy.staging.yml") for f in found)
    good = check_json(project(tmp_path / "good", role(None), builder(case.missing),
                              **{"config/deploy.staging.yml": builder(case.good)}), "-d", "staging")
    assert not findings(good, case.rule)


def test_builder_arch_stays_silent_when_arch_is_missing_or_kamal1(tmp_path):
    report = check_json(project(tmp_path, role(None), "builder:\n  multiarch: true\n"))
    assert not findings(report, "KG117") and findings(report, "KG006")  # KG006 migrates it, with its fix


def test_builder_arch_required_by_the_policy(tmp_path):
    folder = project(tmp_path, role(None), **{".kamalguard.yml": "rules:\n  KG117:\n    required: [amd64, arm64]\n"})
    [finding] = [f for f in outcome(folder).findings if f.rule.id == "KG117"]
    assert "arm64" in finding.message
    assert finding.fix.safety == "safe" and finding.fix.edits == (AddItems(("builder", "arch"), ("arm64",)),)


def test_builder_arch_spellings_are_fixed_safely(tmp_path):
    folder = project(tmp_path, role(None), builder({"arch": ["x86_64", "linux/arm64"]}))
    [finding] = [f for f in outcome(folder).findings if f.rule.id == "KG117"]
    assert finding.fix.safety == "safe"
    assert finding.fix.edits == (SetKey(("builder",), "arch", ["amd64", "arm64"]),)
    unknown = project(tmp_path / "unknown", role(None), builder({"arch": "riscv64"}))
    [finding] = [f for f in outcome(unknown).findings if f.rule.id == "KG117"]
    assert finding.fix is None and "amd64 or arm64" in finding.message


def test_a_cloud_builder_builds_natively(tmp_path):
    report = check_json(project(tmp_path, role(None), builder({"arch": ["amd64", "arm64"], "driver": "cloud org/b"})))
    assert not findings(report, "KG118")


# --- what is writable (KG101, KG102) ---------------------------------------------------------------------------


def test_workdir_comes_from_the_final_stage_of_the_named_dockerfile(tmp_path):
    dockerfile = "FROM ruby:3.3 AS base\nWORKDIR /srv/app\nFROM base AS test\nWORKDIR /test\nFROM base\nCMD x\n"
    folder = project(tmp_path, role({"read-only": True, "tmpfs": ["/tmp"]}),
                     "builder:\n  arch: amd64\n  dockerfile: docker/Dockerfile.prod\n",
                     **{"docker/Dockerfile.prod": dockerfile})
    [finding] = findings(check_json(folder), "KG102")
    assert "/srv/app/tmp" in finding["message"]


def test_workdir_honours_builder_target(tmp_path):
    dockerfile = "FROM ruby:3.3 AS app\nWORKDIR /srv/app\nFROM app AS worker\nWORKDIR /worker\nFROM app\n"
    folder = project(tmp_path, role({"read-only": True, "tmpfs": ["/tmp"]}),
                     "builder:\n  arch: amd64\n  target: worker\n", Dockerfile=dockerfile)
    [finding] = findings(check_json(folder), "KG102")
    assert "/worker/tmp" in finding["message"]


def test_without_a_dockerfile_the_workdir_is_rails(tmp_path):
    [finding] = findings(check_json(project(tmp_path, role({"read-only": True}))), "KG102")
    assert "/rails/tmp, /tmp" in finding["message"]


def test_a_volume_or_a_parent_tmpfs_covers_a_path(tmp_path):
    folder = project(tmp_path, "volumes:\n  - scratch:/rails/tmp\n" + role({"read-only": True, "tmpfs": "/tmp"}))
    assert not findings(check_json(folder), "KG102")
    folder = project(tmp_path / "ro", "volumes:\n  - scratch:/rails/tmp:ro\n" + role({"read-only": True,
                                                                                    "tmpfs": "/tmp"}))
    assert findings(check_json(folder), "KG102")  # a read-only volume is not writable
    folder = project(tmp_path / "mount", role({"read-only": True, "tmpfs": ["/tmp:size=64m"],
                                               "mount": "type=tmpfs,destination=/rails"}))
    assert not findings(check_json(folder), "KG102")


@pytest.mark.parametrize("image, paths", [
    ("postgres:16", "/var/run/postgresql, /tmp"),
    ("pgvector/pgvector:pg17", "/var/run/postgresql, /tmp"),
    ("public.ecr.aws/docker/library/mysql:8.0", "/var/run/mysqld, /tmp"),
    ("redis:7@sha256:0123", "/tmp"),
    ("ghcr.io/acme/worker:1", "/tmp"),
])
def test_accessories_get_their_image_s_paths(image, paths, tmp_path):
    text = role(None) + f"accessories:\n  db:\n    image: {image}\n    host: 192.0.2.20\n"
    [finding] = findings(check_json(project(tmp_path, text)), "KG101", accessory="db")
    assert finding["message"].endswith(f"with a tmpfs for {paths}")


def test_run_directories_count_and_var_run_is_run(tmp_path):
    text = role(None) + ("accessories:\n  db:\n    image: mariadb:11\n    host: 192.0.2.20\n"
                         "    directories: [sock:/var/run/mysqld]\n    options:\n      read-only: true\n"
                         "      tmpfs: /tmp\n")
    assert not findings(check_json(project(tmp_path, text)), "KG102")  # mariadb writes /run/mysqld


def test_policy_writable_paths(tmp_path):
    policy = ("rules:\n  KG102:\n    writable_paths: [\"<WORKDIR>/storage\"]\n"
              "    image_writable_paths:\n      cache: [/data/tmp]\n      postgres: [/run/pg]\n")
    text = role({"read-only": True}) + ("accessories:\n  cache:\n    image: redis:7\n    host: 192.0.2.20\n"
                                        "    options: {read-only: true}\n  db:\n    image: postgres:16\n"
                                        "    host: 192.0.2.20\n    options: {read-only: true}\n")
    report = check_json(project(tmp_path, text, **{".kamalguard.yml": policy}))
    messages = {(f["role"] or f["accessory"]): f["message"] for f in findings(report, "KG102")}
    assert "nothing writable at /rails/storage:" in messages["web"]
    assert "nothing writable at /data/tmp:" in messages["cache"]  # by accessory name
    assert "nothing writable at /run/pg:" in messages["db"]  # by image, replacing the built-in entry


def test_erb_mounts_and_erb_dockerfile_are_unknown(tmp_path):
    folder = project(tmp_path, role({"read-only": True, "tmpfs": "<%= ENV['TMP'] %>"}))
    assert not findings(check_json(folder), "KG102")
    folder = project(tmp_path / "df", role(None), "builder:\n  arch: amd64\n  dockerfile: <%= ENV['DF'] %>\n")
    [finding] = [f for f in outcome(folder).findings if f.rule.id == "KG101"]
    assert finding.fix is None  # the tmpfs paths depend on a WORKDIR nobody knows yet


# --- fixes, as data ------------------------------------------------------------------------------------------------


def fix_of(folder: str, rule: str, destination: str | None = None):
    [finding] = [f for f in outcome(folder, destination).findings if f.rule.id == rule and f.role == "web"]
    return finding.fix


OPTIONS = ("servers", "web", "options")


def test_read_only_fix_adds_its_tmpfs_and_converts_a_host_list(tmp_path):
    fix = fix_of(project(tmp_path, "servers:\n  - 192.0.2.10\n"), "KG101")
    assert fix.safety == "safe" and "no longer write" in fix.note
    assert fix.edits == (HostListToRoleMap(("servers", "web")), SetKey(OPTIONS, "read-only", True),
                         AddItems((*OPTIONS, "tmpfs"), ("/rails/tmp", "/tmp")))


def test_read_only_fix_adds_only_the_missing_tmpfs(tmp_path):
    fix = fix_of(project(tmp_path, role({"tmpfs": "/tmp"})), "KG101")
    assert fix.edits == (SetKey(OPTIONS, "read-only", True), AddItems((*OPTIONS, "tmpfs"), ("/rails/tmp",)))


def test_no_fix_replaces_what_the_user_wrote(tmp_path):
    folder = project(tmp_path, role({"read-only": False, "cap-drop": "NET_RAW", "memory": "2g"}))
    assert fix_of(folder, "KG101") is None  # KG115 offers the (unsafe) removal of `false`
    assert fix_of(folder, "KG103").edits == (AddItems((*OPTIONS, "cap-drop"), ("ALL",)),)  # adds beside NET_RAW
    assert fix_of(folder, "KG107").safety == "safe"  # adds memory-swap: 2g
    assert fix_of(folder, "KG107").edits == (SetKey(OPTIONS, "memory-swap", "2g"),)


@pytest.mark.parametrize("rule, options, safety, edits", [
    ("KG102", {"read-only": True}, "safe", (AddItems((*OPTIONS, "tmpfs"), ("/rails/tmp", "/tmp")),)),
    ("KG103", {}, "safe", (AddItems((*OPTIONS, "cap-drop"), ("ALL",)),)),
    ("KG105", {"security-opt": "label=disable"}, "safe",
     (AddItems((*OPTIONS, "security-opt"), ("no-new-privileges",)),)),
    ("KG106", {}, "unsafe", (SetKey(OPTIONS, "memory", "1g"),)),
    ("KG107", {"memory": "1g", "memory-swap": -1}, "unsafe", (SetKey(OPTIONS, "memory-swap", "1g"),)),
    ("KG108", {"privileged": True}, "unsafe", (RemoveKey(OPTIONS, "privileged"),)),
    ("KG114", {"v": "/a:/b"}, "safe", (RenameKey(OPTIONS, "v", "volume"),)),
    ("KG114", {"read_only": True}, "safe", (RenameKey(OPTIONS, "read_only", "read-only"),)),
    ("KG114", {"name": "app"}, "unsafe", (RemoveKey(OPTIONS, "name"),)),
    ("KG115", {"privileged": False}, "unsafe", (RemoveKey(OPTIONS, "privileged"),)),
    ("KG115", {"memory": None}, "unsafe", (RemoveKey(OPTIONS, "memory"),)),
])
def test_fixes(rule, options, safety, edits, tmp_path):
    fix = fix_of(project(tmp_path, role(options)), rule)
    assert (fix.safety, fix.edits) == (safety, edits)
    assert fix.note and "\n" not in fix.note


def test_policy_defaults_make_fixes_safe(tmp_path):
    policy = "rules:\n  KG106:\n    default: 768m\n  KG112:\n    default: 300\n"
    folder = project(tmp_path, role(None), **{".kamalguard.yml": policy})
    assert (fix_of(folder, "KG106").safety, fix_of(folder, "KG106").edits) == (
        "safe", (SetKey(OPTIONS, "memory", "768m"),))
    assert (fix_of(folder, "KG112").safety, fix_of(folder, "KG112").edits) == (
        "safe", (SetKey(OPTIONS, "pids-limit", 300),))
    assert fix_of(project(tmp_path / "none", role(None)), "KG112") is None


def test_cap_drop_fix_is_unsafe_for_images_that_switch_user(tmp_path):
    text = role(None) + "accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.20\n"
    [finding] = [f for f in outcome(project(tmp_path, text)).findings if f.rule.id == "KG103" and f.accessory]
    assert finding.fix.safety == "unsafe" and "SETUID" in finding.fix.note
    text = role(None) + "accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.20\n    options:\n" \
                        "      user: postgres\n"
    [finding] = [f for f in outcome(project(tmp_path / "u", text)).findings if f.rule.id == "KG103" and f.accessory]
    assert finding.fix.safety == "safe"


def test_no_fix_once_the_state_is_reached(tmp_path):
    """Idempotence by construction: the fixed configuration offers no further fix for these rules."""
    fixed = {"read-only": True, "tmpfs": ["/rails/tmp", "/tmp"], "cap-drop": ["ALL"],
             "security-opt": ["no-new-privileges"], "memory": "1g", "memory-swap": "1g", "pids-limit": 500,
             "cpus": 1}
    assert not [f for f in outcome(project(tmp_path, role(fixed))).findings if f.role == "web"]


# --- individual rule behaviour ---------------------------------------------------------------------------------


def test_cap_add_allowlist_and_dangerous_capabilities(tmp_path):
    options = {"cap-add": ["cap_net_bind_service", "CHOWN", "SYS_PTRACE"]}
    report = check_json(project(tmp_path, role(options)))
    assert [(f["severity"], f["line"]) for f in findings(report, "KG104")] == [("warning", 12), ("error", 12)]
    policy = "rules:\n  KG104:\n    allowed: [NET_BIND_SERVICE, CAP_CHOWN]\n"
    report = check_json(project(tmp_path / "p", role(options), **{".kamalguard.yml": policy}))
    assert [f["severity"] for f in findings(report, "KG104")] == ["error"]


def test_cap_add_accepts_what_a_known_image_needs_to_switch_user(tmp_path):
    db = "accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.20\n    options:\n"
    caps = {"cap-drop": ["ALL"], "cap-add": ["CHOWN", "SETUID", "NET_ADMIN"]}
    report = check_json(project(tmp_path, role(None) + db + block(caps, 6)))
    assert [f["message"].split(" adds ")[1][:9] for f in findings(report, "KG104")] == ["NET_ADMIN"]
    as_user = {**caps, "user": "postgres"}  # then the entrypoint switches nothing
    report = check_json(project(tmp_path / "user", role(None) + db + block(as_user, 6)))
    assert len(findings(report, "KG104")) == 3


@pytest.mark.parametrize("memory, severity", [("512M", None), ("1.5g", None), ("2GiB", None), (1073741824, None),
                                              ("0", "warning"), ("1024", "error"), ("12x", "error"),
                                              ("64g", "warning")])
def test_memory_values(memory, severity, tmp_path):
    policy = "rules:\n  KG106:\n    maximum: 8g\n"
    found = findings(check_json(project(tmp_path, role({"memory": memory}), **{".kamalguard.yml": policy})), "KG106")
    assert [f["severity"] for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize("swap, severity", [("1g", None), ("1024m", None), ("512m", "error"), ("-1", "warning"),
                                            ("2g", "warning")])
def test_memory_swap_values(swap, severity, tmp_path):
    found = findings(check_json(project(tmp_path, role({"memory": "1g", "memory-swap": swap}))), "KG107")
    assert [f["severity"] for f in found] == ([severity] if severity else [])


def test_memory_swap_without_memory(tmp_path):
    [finding] = findings(check_json(project(tmp_path, role({"memory-swap": "1g"}))), "KG107")
    assert finding["severity"] == "error" and "without `memory`" in finding["message"]


@pytest.mark.parametrize("text, size", [("512m", 512 * 1024**2), ("1g", 1024**3), ("1.5g", int(1.5 * 1024**3)),
                                        ("1GB", 1024**3), ("2gib", 2 * 1024**3), ("1 g", 1024**3), ("100", 100),
                                        ("1e3", 1000), ("4096k", 4096 * 1024), ("1kb", 1024), ("1b", 1),
                                        ("1gi", None), ("1x", None), ("-1", None), ("", None), ("g", None),
                                        ("1gbb", None)])
def test_docker_sizes(text, size):
    """As the Docker 28 CLI reads them (each checked with `docker run -m`)."""
    assert parse_size(text) == size


def test_var_run_and_run_are_one_folder():
    assert covers("/run", "/var/run/postgresql") and covers("/var/run/mysqld", "/run/mysqld")
    assert not covers("/rails/tmp", "/rails/tmpfiles")


def test_docker_socket_from_root_volumes_reaches_the_implicit_web_role(tmp_path):
    text = "volumes:\n  - /var/run:/var/run\nservers:\n  - 192.0.2.10\n"
    [finding] = findings(check_json(project(tmp_path, text)), "KG110")
    assert "every role (web)" in finding["message"] and finding["line"] == 9


@pytest.mark.parametrize("options", [{"mount": "type=bind,src=/run/user/1000/docker.sock,dst=/d.sock,readonly"},
                                     {"volume": "/:/host:ro"}, {"use-api-socket": True}])
def test_docker_socket_spellings(options, tmp_path):
    assert findings(check_json(project(tmp_path, role(options))), "KG110", role="web")


def test_host_network_alias(tmp_path):
    [finding] = findings(check_json(project(tmp_path, role({"net": "host"}))), "KG109")
    assert "`net: host`" in finding["message"]


def test_unknown_option_suggestions(tmp_path):
    options = {"securityopt": "x", "cpu": 1, "memory_limit": "1g", "memory-swapp": "1g"}
    report = check_json(project(tmp_path, role(options)))
    messages = {f["message"].split("`")[1]: f for f in findings(report, "KG114")}
    assert "did you mean `security-opt`?" in messages["securityopt"]["message"]
    assert messages["securityopt"]["fix"]["edits"] == ["rename servers/web/options/securityopt to security-opt"]
    assert messages["cpu"]["fix"]["edits"] == ["rename servers/web/options/cpu to cpus"]
    assert "check `docker run --help`" in messages["memory_limit"]["message"]
    assert messages["memory_limit"]["fix"] is None
    assert "did you mean `memory-swap` or `memory-swappiness`?" in messages["memory-swapp"]["message"]
    assert messages["memory-swapp"]["fix"] is None  # two close flags: a person picks


def test_unknown_option_keeps_hidden_aliases_and_policy_flags(tmp_path):
    options = {"net": "private", "dns-opt": "ndots:1", "gpus-new": "all"}
    assert [f["message"] for f in findings(check_json(project(tmp_path, role(options))), "KG114")] == [
        "role 'web': `gpus-new` is not a `docker run` option (Kamal passes it as `--gpus-new` and Docker refuses to "
        "start the container): check `docker run --help` for the flag you meant"]
    policy = "rules:\n  KG114:\n    extra_flags: [gpus-new]\n"
    assert not findings(check_json(project(tmp_path / "p", role(options), **{".kamalguard.yml": policy})), "KG114")


def test_rename_is_not_offered_onto_an_existing_key_or_for_false(tmp_path):
    [finding] = findings(check_json(project(tmp_path, role({"read-only": True, "readonly": True}))), "KG114")
    assert finding["fix"] is None and "already set" in finding["message"]
    report = check_json(project(tmp_path / "false", role({"readonly": False})))
    assert findings(report, "KG114")[0]["fix"] is None  # renaming would keep it broken:
    assert findings(report, "KG115")[0]["fix"]["edits"] == ["remove servers/web/options/readonly"]


def test_false_and_empty_options(tmp_path):
    report = check_json(project(tmp_path, role({"init": None, "memory": None, "read-only": "true",
                                                "cap-drop": ["ALL", False], "cpus": True})))
    messages = [f["message"] for f in findings(report, "KG115")]
    assert len(messages) == 4  # `init:` alone is a bare switch: on, and fine
    assert any("`memory` has no value" in m for m in messages)
    assert any("`cpus` is `true`" in m for m in messages)
    assert any("`read-only` is a switch" in m for m in messages)
    assert any("remove the `false` item" in m for m in messages)


@pytest.mark.parametrize("user, fires", [("root", True), (0, True), ("0:0", True), ("root:staff", True),
                                         ("1000", False), ("rails", False), ("rooty", False)])
def test_root_user_values(user, fires, tmp_path):
    assert bool(findings(check_json(project(tmp_path, role({"user": user}))), "KG116")) == fires


def test_erb_values_are_never_judged(tmp_path):
    options = {"memory": "<%= ENV['MEM'] %>", "user": "<%= ENV['U'] %>", "cap-add": ["<%= ENV['CAP'] %>"],
               "cpus": "<%= ENV['CPUS'] %>", "pids-limit": "<%= ENV['P'] %>", "security-opt": "<%= ENV['S'] %>"}
    report = check_json(project(tmp_path, role(options)))
    fired = {f["rule"] for f in report["findings"] if f["suppressed"] is None}
    assert not fired & {"KG104", "KG105", "KG106", "KG107", "KG111", "KG112", "KG113", "KG116"}
    report = check_json(project(tmp_path / "all", "servers:\n  web:\n    hosts: [192.0.2.10]\n"
                                                  "    options: <%= ENV['OPTIONS'] %>\n"))
    assert not {f["rule"] for f in report["findings"]} & {c.rule for c in CASES}


# --- suppressions, exclusions, and what a suppressed finding looks like ----------------------------------------------


SUPPRESSIBLE = role({"memory": "1g"})  # KG101 is reported at `options:` (line 10)


def test_ignore_comment_on_the_finding_line(tmp_path):
    text = SUPPRESSIBLE.replace("    options:\n", "    options:  # kamalguard: ignore[KG101] tmpfs work in #42\n")
    folder = project(tmp_path, text)
    report = check_json(folder)
    [finding] = [f for f in report["findings"] if f["rule"] == "KG101"]
    assert finding["suppressed"] == "tmpfs work in #42"
    assert report["summary"]["suppressed"] >= 1 and not findings(report, "KG090")
    text_output = run_cli("check", "--select", "KG101", cwd=folder)
    assert text_output.exit_code == 0 and "(suppressed: tmpfs work in #42)" in text_output.output


def test_ignore_comment_on_the_role_key_covers_the_block(tmp_path):
    text = SUPPRESSIBLE.replace("  web:\n", "  web:  # kamalguard: ignore[KG101,KG103] legacy app\n")
    report = check_json(project(tmp_path, text))
    assert {f["suppressed"] for f in report["findings"] if f["rule"] in ("KG101", "KG103")} == {"legacy app"}
    assert findings(report, "KG105", role="web")  # not named: still reported


def test_ignore_file(tmp_path):
    text = "# kamalguard: ignore-file[KG106] sized by the platform team\n" + accessory(None)
    report = check_json(project(tmp_path, text))
    suppressed = [f for f in report["findings"] if f["rule"] == "KG106"]
    assert len(suppressed) == 2 and {f["suppressed"] for f in suppressed} == {"sized by the platform team"}


def test_unused_suppression_is_reported(tmp_path):
    text = role({"memory": "1g", "memory-swap": "1g"}).replace('"1g"\n', '"1g"  # kamalguard: ignore[KG107] swaps\n', 1)
    [finding] = findings(check_json(project(tmp_path, text)), "KG090")
    assert "KG107" in finding["message"] and finding["severity"] == "info"


def test_policy_exclusion_keeps_the_finding_and_the_exit_code_ignores_it(tmp_path):
    policy = "exclude:\n  - role: web\n    rules: [KG101]\n    reason: tracked in JIRA-7\n"
    folder = project(tmp_path, role({"memory": "1g"}), **{".kamalguard.yml": policy})
    result = run_cli("check", "--select", "KG101", "--format", "json", cwd=folder)
    assert result.exit_code == 0
    [finding] = json.loads(result.output)["findings"]
    assert finding["suppressed"] == "tracked in JIRA-7" and finding["role"] == "web"


# --- documentation -------------------------------------------------------------------------------------------------

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_explain_every_rule(rule):
    result = run_cli("explain", rule.id)
    assert result.exit_code == 0
    assert result.output.startswith(f"{rule.id} {rule.slug} [{rule.severity}]")
    assert "Fails:" in result.output and "Passes:" in result.output
    assert run_cli("explain", rule.slug).output == result.output


@pytest.mark.parametrize("rule", [r for r in RULES if r.family == "hardening"], ids=lambda r: r.id)
def test_hardening_docs_are_complete(rule):
    for heading in ("## Why", "## How to fix", "## Fix"):
        assert heading in rule.docs, heading
    container_rule = rule.id not in ("KG117", "KG118", "KG119")
    assert ("## kamal-proxy" in rule.docs) == container_rule
    if rule.id not in ("KG114", "KG115", "KG117", "KG118", "KG119"):  # Kamal's own pitfalls, not CIS controls
        assert "CIS Docker Benchmark 1.6" in rule.docs and any("CIS" in title for title, _ in rule.references)
        assert any("OWASP" in title for title, _ in rule.references)


def test_kg102_docs_list_every_built_in_image():
    from kamalguard.rules.hardening.common import IMAGES

    docs = next(r for r in RULES if r.id == "KG102").docs
    assert all(name in docs for name in IMAGES)
