"""Exposure rules (KG2xx): published ports, credentials in clear env, secrets files, registry, SSH, pinning, proxy
TLS, health checks, and kamal-lint's checks. Fixes are checked as the edits a finding carries."""

import json
import os
import textwrap

import pytest

from kamalguard.engine import Selection, run
from kamalguard.fix.edits import AddItems, NestKeys, RemoveKey, SetKey
from kamalguard.kamal.project import resolve_targets
from kamalguard.redact import credential_kind, looks_like_secret_name
from kamalguard.rules import all_rules

from .conftest import check_json, rules_fired, write_project

DESTINATION = "staging"
BASE = """
service: myapp
image: myorg/myapp
servers:
  - 192.0.2.10
builder:
  arch: amd64
"""


def on_base(extra: str) -> str:
    """BASE followed by more top-level settings, written indented in the test."""
    return BASE + text(extra)


def project(tmp_path, deploy: str, **files) -> str:
    """A project from a deploy file and other files ({relative path: text})."""
    texts = {"config/deploy.yml": text(deploy)}
    texts.update({path: text(content) for path, content in files.items()})
    return write_project(tmp_path, texts)


def text(written: str) -> str:
    """A file's text written indented in a test: dedented, without the leading newline, with a final one."""
    return textwrap.dedent(written).lstrip("\n").rstrip() + "\n"


def findings(folder: str, rule_id: str, destination: str | None = None) -> list:
    """The findings of one rule, as objects (with their Fix and edits), checked from inside the project."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        outcome = run(resolve_targets([], destination, False, None), Selection(select=[rule_id]))
    finally:
        os.chdir(old)
    return [f for f in outcome.findings if f.rule.id == rule_id and f.suppressed is None]


def fired(folder: str, rule_id: str, destination: str | None = None) -> bool:
    args = ["-d", destination] if destination else []
    return rule_id in rules_fired(check_json(folder, "--select", rule_id, *args))


def top_level_blocks(text: str) -> list[str]:
    """A deploy file's top-level entries, each with its nested lines."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            blocks.append([])
        if blocks:
            blocks[-1].append(line)
    return ["\n".join(b) + "\n" for b in blocks]


def as_overlay(example, destination: str = DESTINATION) -> dict:
    """The example as a destination: the base keeps service, image and servers, the overlay holds the rest, so
    the merged view is the same but every checked value comes from config/deploy.<destination>.yml. The secrets
    file becomes .kamal/secrets.<destination>, the one Kamal reads with -d."""
    files = dict(example.files)
    base, overlay = [], []
    for block in top_level_blocks(files.pop("config/deploy.yml")):
        (base if block.split(":", 1)[0] in ("service", "image", "servers") else overlay).append(block)
    files["config/deploy.yml"] = "".join(base)
    files[f"config/deploy.{destination}.yml"] = "".join(overlay) or "{}\n"
    if ".kamal/secrets" in files:
        files[f".kamal/secrets.{destination}"] = files.pop(".kamal/secrets")
    return files


def rules_of(family: str) -> list:
    return [r for r in all_rules() if r.family == family]


EXPOSURE = rules_of("exposure")


@pytest.mark.parametrize("rule", EXPOSURE, ids=[r.id for r in EXPOSURE])
def test_failing_example_fires_from_an_overlay(rule, tmp_path):
    folder = write_project(tmp_path, as_overlay(rule.failing))
    assert fired(folder, rule.id, DESTINATION)


@pytest.mark.parametrize("rule", EXPOSURE, ids=[r.id for r in EXPOSURE])
def test_passing_example_is_silent_from_an_overlay(rule, tmp_path):
    folder = write_project(tmp_path, as_overlay(rule.passing))
    assert not fired(folder, rule.id, DESTINATION)


def test_every_exposure_rule_documents_why_and_how():
    for rule in EXPOSURE:
        assert "## How to fix" in rule.docs, rule.id
        assert rule.references, rule.id
        if rule.fixable:
            assert "## Fix safety" in rule.docs, rule.id


def test_overlay_findings_point_into_the_overlay(tmp_path):
    folder = write_project(tmp_path, {
        "config/deploy.yml": BASE,
        "config/deploy.staging.yml": "accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.10\n"
                                     "    port: 5432\n",
    })
    [finding] = findings(folder, "KG201", "staging")
    assert (finding.file, finding.line) == ("config/deploy.staging.yml", 5)


# --- KG201 accessory-port-public -------------------------------------------------------------------------------


@pytest.mark.parametrize("port, expected", [
    ("5432", "127.0.0.1:5432:5432"),
    ('"5432:5432"', "127.0.0.1:5432:5432"),
    ('"0.0.0.0:15432:5432"', "127.0.0.1:15432:5432"),
    ('"[::]:5432:5432"', "127.0.0.1:5432:5432"),
    ('"6379/udp"', "127.0.0.1:6379:6379/udp"),
])
def test_accessory_port_on_every_interface_gets_a_loopback_fix(tmp_path, port, expected):
    folder = project(tmp_path, BASE + f"accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.10\n"
                                      f"    port: {port}\n")
    [finding] = findings(folder, "KG201")
    assert finding.accessory == "db"
    assert finding.fix.safety == "unsafe"
    assert finding.fix.edits == (SetKey(("accessories", "db"), "port", expected),)


@pytest.mark.parametrize("port", ['"127.0.0.1:5432:5432"', '"10.0.0.5:5432:5432"', '"[::1]:5432:5432"',
                                  '<%= ENV["DB_PORT"] %>'])
def test_accessory_port_bound_to_an_address_or_unknown_is_silent(tmp_path, port):
    folder = project(tmp_path, BASE + f"accessories:\n  db:\n    image: postgres:16\n    host: 192.0.2.10\n"
                                      f"    port: {port}\n")
    assert findings(folder, "KG201") == []


# --- KG202 publish-all-interfaces --------------------------------------------------------------------------------


def test_publish_options_and_bind_ips_on_every_interface(tmp_path):
    folder = project(tmp_path, on_base("""
        accessories:
          metrics:
            image: prom/prometheus:v2.54.1
            host: 192.0.2.10
            options:
              publish-all: true
              p: "127.0.0.1:9090:9090"
        proxy:
          run:
            bind_ips:
              - 10.0.0.5
              - 0.0.0.0
            options:
              publish:
                - "127.0.0.1:8443:443"
                - "9000"
    """))
    found = {(f.path, f.accessory) for f in findings(folder, "KG202")}
    assert found == {(("accessories", "metrics", "options", "publish-all"), "metrics"),
                     (("proxy", "run", "bind_ips", 1), None),
                     (("proxy", "run", "options", "publish", 1), None)}


# --- KG203 secret-in-clear-env -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PASSWORD", "DB_PASSWORD", "PGPASSWORD", "RAILS_MASTER_KEY", "SECRET_KEY_BASE",
                                  "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "SMTP_PASS", "STRIPE_API_KEY",
                                  "OAUTH_CLIENT_SECRET", "GOOGLE_CREDENTIALS"])
def test_credential_names(name):
    assert looks_like_secret_name(name)


@pytest.mark.parametrize("name", ["RAILS_ENV", "TOKEN_EXPIRY_HOURS", "SSH_KEY_PATH", "AWS_ACCESS_KEY_ID",
                                  "VAPID_PUBLIC_KEY", "STRIPE_PUBLISHABLE_KEY", "PASSWORD_MIN_LENGTH",
                                  "CACHE_KEY_PREFIX", "AUTH_MODE", "KEYBOARD_LAYOUT", "DB_HOST"])
def test_names_that_are_not_credentials(name):
    assert not looks_like_secret_name(name)


@pytest.mark.parametrize("value, kind", [
    ("postgres://app:s3cr3t-pw@db:5432/app", "a URL with a password"),
    ("ghp_" + "a" * 36, "a GitHub token"),
    ("AKIA" + "ABCDEFGHIJKLMNOP", "an AWS access key id"),
    ("xoxb-1234567890-abcdefghij", "a Slack token"),
    ("sk_live_" + "a1b2c3d4e5f6g7h8", "a Stripe secret key"),
    ("0123456789abcdef0123456789abcdef", "32 hex digits, the shape of a Rails master key"),
])
def test_credential_shaped_values(value, kind):
    assert credential_kind(value) == kind


@pytest.mark.parametrize("value", ["postgres://app@db/app", "postgres://app:$DB_PASSWORD@db/app", "production",
                                   "redis://redis:6379/0", "https://example.com"])
def test_values_that_are_not_credentials(value):
    assert credential_kind(value) is None


def test_credential_value_under_an_innocent_name_fires(tmp_path):
    folder = project(tmp_path, BASE + "env:\n  clear:\n    DATABASE_URL: postgres://app:s3cr3t-pw@db/app\n")
    [finding] = findings(folder, "KG203")
    assert "URL with a password" in finding.message
    assert "s3cr3t-pw" not in finding.message


@pytest.mark.parametrize("value", ["yes", "true", "1", '""'])
def test_switches_named_like_passwords_are_silent(tmp_path, value):
    folder = project(tmp_path, BASE + f"env:\n  clear:\n    MYSQL_RANDOM_ROOT_PASSWORD: {value}\n")
    assert findings(folder, "KG203") == []


def test_erb_valued_credential_in_clear_env_fires(tmp_path):
    # the value reaches `docker run --env` in the clear even though ERB reads it at deploy time
    folder = project(tmp_path, BASE + 'env:\n  clear:\n    DB_PASSWORD: <%= ENV["DB_PASSWORD"] %>\n')
    [finding] = findings(folder, "KG203")
    assert "read by ERB" in finding.message


def test_clear_form_fix_moves_the_name_to_secret(tmp_path):
    folder = project(tmp_path, on_base("""
        accessories:
          db:
            image: postgres:16
            host: 192.0.2.10
            env:
              clear:
                POSTGRES_USER: app
                POSTGRES_PASSWORD: not-so-secret
              secret:
                - OTHER
    """))
    [finding] = findings(folder, "KG203")
    assert finding.accessory == "db"
    assert finding.fix.safety == "unsafe"
    assert finding.fix.edits == (RemoveKey(("accessories", "db", "env", "clear"), "POSTGRES_PASSWORD"),
                                 AddItems(("accessories", "db", "env", "secret"), ("POSTGRES_PASSWORD",)))
    assert ".kamal/secrets" in finding.fix.note


def test_simple_form_fix_first_turns_the_env_into_clear_form(tmp_path):
    folder = project(tmp_path, BASE + "env:\n  RAILS_ENV: production\n  API_TOKEN: tok-1234567890\n"
                                      "  OTHER_SECRET: abcdefgh\n")
    found = findings(folder, "KG203")
    assert [f.path for f in found] == [("env", "API_TOKEN"), ("env", "OTHER_SECRET")]
    nest = NestKeys(("env",), "clear", keep=("clear", "secret", "tags"))
    for finding in found:
        name = finding.path[-1]
        # each fix stands alone and composes: the nesting is a no-op once the env has clear/secret form
        assert finding.fix.edits == (nest, RemoveKey(("env", "clear"), name), AddItems(("env", "secret"), (name,)))


def test_role_and_tag_envs_are_checked(tmp_path):
    folder = project(tmp_path, """
        service: myapp
        image: myorg/myapp
        servers:
          web:
            hosts:
              - 192.0.2.10
            env:
              clear:
                SENTRY_AUTH_TOKEN: abcdefabcdef
        env:
          tags:
            monitoring:
              DATADOG_API_KEY: 0123456789abcdef0123456789abcdef
    """)
    found = {(f.path, f.role) for f in findings(folder, "KG203")}
    assert found == {(("servers", "web", "env", "clear", "SENTRY_AUTH_TOKEN"), "web"),
                     (("env", "tags", "monitoring", "DATADOG_API_KEY"), None)}


def test_names_already_secret_are_silent(tmp_path):
    folder = project(tmp_path, BASE + "env:\n  clear:\n    RAILS_ENV: production\n  secret:\n    - DB_PASSWORD\n")
    assert findings(folder, "KG203") == []


# --- KG204 registry-password-literal -----------------------------------------------------------------------------


def test_literal_registry_password_fix(tmp_path):
    folder = project(tmp_path, BASE + "registry:\n  username: me\n  password: plain-text-pw\n")
    [finding] = findings(folder, "KG204")
    assert finding.fix.edits == (SetKey(("registry",), "password", ["KAMAL_REGISTRY_PASSWORD"]),)
    assert finding.fix.safety == "unsafe"


def test_erb_valued_registry_password_is_not_literal(tmp_path):
    folder = project(tmp_path, BASE + "registry:\n  username: AWS\n  password: <%= %x(aws ecr get-login-password) %>\n")
    assert findings(folder, "KG204") == []


def test_accessory_registry_password(tmp_path):
    folder = project(tmp_path, on_base("""
        accessories:
          search:
            image: private/search:1.0
            host: 192.0.2.10
            registry:
              server: registry.example.com
              username: me
              password: 12345678
    """))
    [finding] = findings(folder, "KG204")
    assert finding.accessory == "search"
    assert finding.fix.edits == (SetKey(("accessories", "search", "registry"), "password",
                                        ["SEARCH_REGISTRY_PASSWORD"]),)


# --- KG205 secret-undeclared -------------------------------------------------------------------------------------

EVERY_REFERENCE = on_base("""
registry:
  username:
    - KAMAL_REGISTRY_USERNAME
  password:
    - KAMAL_REGISTRY_PASSWORD
env:
  secret:
    - DB_PASSWORD:PRODUCTION_DB_PASSWORD
builder:
  arch: amd64
  secrets:
    - GITHUB_TOKEN
proxy:
  ssl:
    certificate_pem: CERTIFICATE_PEM
    private_key_pem: PRIVATE_KEY_PEM
  host: app.example.com
ssh:
  key_data:
    - SSH_PRIVATE_KEY
""")


def test_every_kind_of_reference_is_looked_up(tmp_path):
    folder = project(tmp_path, EVERY_REFERENCE, **{".kamal/secrets": "KAMAL_REGISTRY_USERNAME=$USER\n"})
    found = {f.path: f.message for f in findings(folder, "KG205")}
    assert set(found) == {("registry", "password", 0), ("env", "secret", 0), ("builder", "secrets", 0),
                          ("proxy", "ssl", "certificate_pem"), ("proxy", "ssl", "private_key_pem"),
                          ("ssh", "key_data", 0)}
    assert "PRODUCTION_DB_PASSWORD" in found[("env", "secret", 0)]  # NAME:ALIAS looks up ALIAS


def test_destination_reads_its_own_secrets_file_not_the_base_one(tmp_path):
    deploy = BASE + "env:\n  secret:\n    - DB_PASSWORD\n"
    files = {"config/deploy.staging.yml": "env:\n  clear:\n    RAILS_ENV: staging\n",
             ".kamal/secrets": "DB_PASSWORD=$DB_PASSWORD\n"}
    folder = project(tmp_path, deploy, **files)
    assert findings(folder, "KG205") == []
    assert [f.path for f in findings(folder, "KG205", "staging")] == [("env", "secret", 0)]
    write_project(tmp_path, {".kamal/secrets-common": "DB_PASSWORD=$(op read op://staging/db)\n"})
    assert findings(folder, "KG205", "staging") == []


def test_secrets_path_moves_the_files(tmp_path):
    folder = project(tmp_path, BASE + "secrets_path: deploy/secrets\nenv:\n  secret:\n    - DB_PASSWORD\n",
                     **{".kamal/secrets": "DB_PASSWORD=$DB_PASSWORD\n"})
    assert len(findings(folder, "KG205")) == 1
    write_project(tmp_path, {"deploy/secrets": "DB_PASSWORD=$DB_PASSWORD\n"})
    assert findings(folder, "KG205") == []


def test_secrets_outside_the_project_are_unknown_not_missing(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secrets").write_text("OTHER=1\n")
    folder = project(tmp_path / "app", BASE + "env:\n  secret:\n    - DB_PASSWORD\n")
    os.makedirs(os.path.join(folder, ".kamal"))
    os.symlink(outside / "secrets", os.path.join(folder, ".kamal", "secrets"))
    assert findings(folder, "KG205") == []
    absolute = project(tmp_path / "abs", BASE + f"secrets_path: {outside / 'secrets'}\n"
                                                "env:\n  secret:\n    - DB_PASSWORD\n")
    assert findings(absolute, "KG205") == []


# --- KG208 ssh-root ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ssh, count", [("", 1), ("ssh:\n  user: root\n", 1), ("ssh:\n  user: deploy\n", 0),
                                        ('ssh:\n  user: <%= ENV["SSH_USER"] %>\n', 0)])
def test_ssh_user(tmp_path, ssh, count):
    assert len(findings(project(tmp_path, BASE + ssh), "KG208")) == count


# --- KG209 image-not-pinned --------------------------------------------------------------------------------------


@pytest.mark.parametrize("image, severity", [
    ("redis", "warning"), ("redis:latest", "warning"), ("localhost:5000/redis", "warning"),
    ("redis:7.4.1", "info"), ("registry.example.com:5000/team/redis:7", "info"),
])
def test_accessory_image_pinning(tmp_path, image, severity):
    folder = project(tmp_path, BASE + f"accessories:\n  redis:\n    image: {image}\n    host: 192.0.2.10\n")
    [finding] = findings(folder, "KG209")
    assert finding.severity == severity
    assert "localhost:<version>" not in finding.message


def test_accessory_image_with_digest_is_silent(tmp_path):
    folder = project(tmp_path, BASE + "accessories:\n  redis:\n    image: redis@sha256:" + "a" * 64 +
                     "\n    host: 192.0.2.10\n")
    assert findings(folder, "KG209") == []


# --- KG210 proxy-no-ssl ------------------------------------------------------------------------------------------


def test_role_and_accessory_proxies_without_ssl(tmp_path):
    folder = project(tmp_path, """
        service: myapp
        image: myorg/myapp
        servers:
          web:
            - 192.0.2.10
          api:
            hosts:
              - 192.0.2.11
            proxy:
              host: api.example.com
              ssl: true
          admin:
            hosts:
              - 192.0.2.12
            proxy:
              host: admin.example.com
        proxy:
          host: app.example.com
          ssl: false
        accessories:
          grafana:
            image: grafana/grafana:11.2.0
            host: 192.0.2.10
            proxy:
              host: grafana.example.com
    """)
    found = {(f.path, f.role, f.accessory) for f in findings(folder, "KG210")}
    # a role's proxy is the root one merged with its own (Kamal's Proxy#merge): api inherits nothing to report
    assert found == {(("proxy", "ssl"), "web", None), (("servers", "admin", "proxy", "host"), "admin", None),
                     (("accessories", "grafana", "proxy", "host"), None, "grafana")}


# --- KG211 no-healthcheck ----------------------------------------------------------------------------------------

ROUTES_WITHOUT_UP = "Rails.application.routes.draw do\n  root \"home#index\"\nend\n"


def test_default_healthcheck_path_in_a_rails_app_without_up(tmp_path):
    folder = project(tmp_path, BASE, **{"config/routes.rb": ROUTES_WITHOUT_UP})
    [finding] = findings(folder, "KG211")
    assert finding.role == "web" and "/up" in finding.message
    write_project(tmp_path, {"config/deploy.yml": BASE + "proxy:\n  healthcheck:\n    path: /health\n"})
    assert findings(folder, "KG211") == []


def test_up_route_in_a_drawn_routes_file(tmp_path):
    folder = project(tmp_path, BASE, **{"config/routes.rb": "Rails.application.routes.draw do\n  draw :health\nend\n",
                                        "config/routes/health.rb": 'get "up" => "rails/health#show"\n'})
    assert findings(folder, "KG211") == []


def test_worker_role_health_from_the_dockerfile(tmp_path):
    deploy = "service: myapp\nimage: myorg/myapp\nservers:\n  web:\n    - 192.0.2.10\n  job:\n    - 192.0.2.11\n"
    folder = project(tmp_path, deploy, Dockerfile="FROM ruby:3.3\nUSER app\n")
    assert [f.role for f in findings(folder, "KG211")] == ["job"]
    write_project(tmp_path, {"Dockerfile": "FROM ruby:3.3\nHEALTHCHECK CMD pgrep ruby\nUSER app\n"})
    assert findings(folder, "KG211") == []


# --- KG212 boot-limit-exceeds-hosts ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit, count", [(2, 0), (3, 0), (4, 1), ('"25%"', 0), ('"100%"', 0), ('"150%"', 1),
                                          ('"ten"', 0)])
def test_boot_limit_against_three_hosts(tmp_path, limit, count):
    deploy = ("service: myapp\nimage: myorg/myapp\nservers:\n  web:\n    - 192.0.2.10\n    - 192.0.2.11\n"
              f"  job:\n    - 192.0.2.11\n    - 192.0.2.12\nboot:\n  limit: {limit}\n")
    assert len(findings(project(tmp_path, deploy), "KG212")) == count


# --- KG213 image-registry-prefix, KG214 registry-server-implicit --------------------------------------------------


@pytest.mark.parametrize("image, server, expected", [
    ("ghcr.io/org/app", "ghcr.io", "ghcr.io/ghcr.io/org/app"),
    ("ghcr.io/org/app", "registry.example.com", "names the registry ghcr.io"),
    ("ghcr.io/org/app", None, "Kamal logs in to Docker Hub"),
    ("localhost:5555/app", None, "Kamal logs in to Docker Hub"),
])
def test_image_with_a_registry_host(tmp_path, image, server, expected):
    registry = f"registry:\n  server: {server}\n" if server else "registry:\n  username: me\n"
    folder = project(tmp_path, f"service: myapp\nimage: {image}\nservers:\n  - 192.0.2.10\n" + registry)
    [finding] = findings(folder, "KG213")
    assert expected in finding.message
    assert "KG214" not in rules_fired(check_json(folder, "--select", "KG214"))


@pytest.mark.parametrize("image, server", [("org/app", "ghcr.io"), ("app", "localhost:5555"),
                                           ("org/app", "registry.digitalocean.com/team")])
def test_image_without_a_registry_host_is_silent(tmp_path, image, server):
    folder = project(tmp_path, f"service: myapp\nimage: {image}\nservers:\n  - 192.0.2.10\n"
                               f"registry:\n  server: {server}\n")
    assert findings(folder, "KG213") == []


def test_accessory_with_its_own_registry(tmp_path):
    folder = project(tmp_path, on_base("""
        accessories:
          search:
            image: registry.example.com/team/search:1.0
            host: 192.0.2.10
            registry:
              server: registry.example.com
              username: me
              password:
                - SEARCH_PASSWORD
    """))
    [finding] = findings(folder, "KG213")
    assert finding.accessory == "search"


def test_registry_server_missing_but_no_registry_at_all_is_left_to_kg005(tmp_path):
    assert findings(project(tmp_path, BASE), "KG214") == []


# --- output -------------------------------------------------------------------------------------------------------


def test_json_report_of_a_fix_lists_its_edits(tmp_path):
    folder = project(tmp_path, BASE + "env:\n  RAILS_ENV: production\n  API_TOKEN: tok-1234567890\n")
    report = check_json(folder, "--select", "KG203")
    [finding] = report["findings"]
    assert finding["fix"]["edits"] == ["move the settings of env under clear:", "remove env/clear/API_TOKEN",
                                       "add to env/secret"]
    assert "tok-1234567890" not in json.dumps(report)
