"""Fuzzing: real-looking deploy.yml files (samples/ and tests/fixtures/fuzz/), mutated line by line and byte by byte,
never make `check` or `fix` raise. For mutants that still load, the fix's output parses again, a second fix changes
nothing, and every comment line survives; and the compiled schema check agrees with jsonschema.

The default run fits CI (about a minute); KAMALGUARD_FUZZ_EXAMPLES=2000 runs that many examples per property.
"""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import tempfile

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kamalguard.engine import Selection, run
from kamalguard.fix.planner import plan
from kamalguard.kamal.project import resolve_targets
from kamalguard.report import Options, render
from kamalguard.rules.structural import schema
from kamalguard.source.document import load_text

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = sorted(glob.glob(os.path.join(HERE, "fixtures", "fuzz", "*.yml"))
               + glob.glob(os.path.join(ROOT, "samples", "*", "config", "*.yml")))
SEED_BYTES = [pathlib.Path(path).read_bytes() for path in SEEDS]
EXAMPLES = int(os.environ.get("KAMALGUARD_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 300, deadline=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Files around the deploy file, so the rules that read them run too.
PROJECT = {
    "Dockerfile": "FROM ruby:3.3-slim AS base\nWORKDIR /rails\nUSER 1000:1000\nCMD [\"bin/rails\", \"server\"]\n",
    ".dockerignore": "/.git\n/.env*\n/config/master.key\n/.kamal/secrets*\n",
    ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\nRAILS_MASTER_KEY=$(cat config/master.key)\n",
    ".gitignore": "/.env*\n/config/master.key\n",
}
TOKENS = [
    "- ", ": ", "? ", "&a ", "*a", "<<: *a", "<<: [*a, *b]", "&b {x: 1}", "---", "...", "[", "]", "{", "}", ",",
    "'", '"', "|", ">-", "#", " # comment", "!!str ", "!!binary ", "!ruby/object:Foo ", "%YAML 1.1", "%TAG ! x",
    "yes", "no", "on", "~", "null", "0x1F", "0o17", "1_000", "1:30", "3.0e+2", ".inf", ":sym", "2024-01-02",
    "2024-01-02 10:00:00 +01:00", "<%= x %>", "<% if y %>", "<% end %>", "<%", "%>", "<%%", "<%= `id` %>", "\t",
    "é", "\u00a0", "\u2028", "\ufeff", "😀", "\x00", "\x1b[31m", "\\", "@", "`", "%", "servers:", "options:",
    "hosts:", "env:", "clear:", "secret:", "accessories:", "proxy:", "ssl: true", "read-only: true", "memory: 1g",
    "cap-drop: [ALL]", "image:", "service:", "registry:", "builder:", "# kamalguard: ignore[KG101] why",
    "# kamalguard: ignore", "x-anchor: &x {memory: 1g}",
]


@st.composite
def mutants(draw, benign: bool = False) -> bytes:
    """A seed, mutated a few times. Benign mutations mostly keep the YAML loadable; the others rarely do."""
    lines = draw(st.sampled_from(SEED_BYTES)).decode("utf-8").split("\n")
    operations = ["comment", "duplicate", "indent-item", "value", "erb-value", "blank", "suppression"]
    if not benign:
        operations += ["delete", "swap", "token", "indent", "tab", "truncate", "unicode", "crlf"]
    for _ in range(draw(st.integers(1, 4))):
        line = st.integers(0, max(len(lines) - 1, 0))  # the lines change with each mutation
        operation, i = draw(st.sampled_from(operations)), draw(line)
        if not lines:
            lines = [""]
        text = lines[i]
        indent = text[: len(text) - len(text.lstrip())]
        if operation == "comment":
            lines.insert(i, indent + "# " + draw(st.text(max_size=20)).replace("\n", " "))
        elif operation == "duplicate":
            lines.insert(i, text)
        elif operation == "indent-item" and text.strip().startswith("- "):
            lines.insert(i + 1, indent + "- " + draw(st.sampled_from(["/tmp", "ALL", "192.0.2.7", "x: 1", "'q'"])))
        elif operation == "value" and ": " in text:
            key = text.split(": ", 1)[0]
            lines[i] = key + ": " + draw(st.sampled_from(["1g", "true", "no", "0", "''", "[]", "{}", "~", "2.5",
                                                          "/rails/tmp", "ALL", "\"a: b\"", "192.0.2.9"]))
        elif operation == "erb-value" and ": " in text:
            lines[i] = text.split(": ", 1)[0] + ": <%= ENV.fetch(\"X\", \"1\") %>"
        elif operation == "blank":
            lines.insert(i, draw(st.sampled_from(["", "   ", "\t"])))
        elif operation == "suppression":
            lines[i] = text + "  # kamalguard: ignore[" + draw(st.sampled_from(["KG101", "KG003", "KG1"])) + "] ok"
        elif operation == "delete" and lines:
            del lines[i]
        elif operation == "swap":
            j = draw(line)
            lines[i], lines[j] = lines[j], lines[i]
        elif operation == "token":
            at = draw(st.integers(0, len(text)))
            lines[i] = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif operation == "indent":
            lines[i] = " " * draw(st.integers(0, 8)) + text.lstrip(" ")
        elif operation == "tab":
            lines[i] = "\t" + text
        elif operation == "truncate":
            lines = [*lines[:i], text[: draw(st.integers(0, len(text)))]]
        elif operation == "unicode":
            at = draw(st.integers(0, len(text)))
            lines[i] = text[:at] + draw(st.text(min_size=1, max_size=3)) + text[at:]
        elif operation == "crlf":
            lines = [line_text.rstrip("\r") + "\r" for line_text in lines]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if not benign and draw(st.booleans()):  # byte-level: flip, insert or cut bytes, UTF-8 or not
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=0, max_size=4)) + data[at + draw(st.integers(0, 3)):]
    return data


class Project:
    """A scratch project on disk for one example (hypothesis runs many examples in one test call)."""

    def __init__(self, deploy: bytes):
        self.root = tempfile.mkdtemp(prefix="kamalguard-fuzz-")
        for name, text in {**PROJECT, "config/deploy.yml": deploy}.items():
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)

    def check(self):
        return run(resolve_targets([self.root], None, False), Selection())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)


@FUZZ
@given(mutants())
def test_check_and_fix_never_raise(deploy):
    with Project(deploy) as project:
        outcome = project.check()
        assert not outcome.errors, outcome.errors
        event("loads" if not any(f.rule.id == "KG001" for f in outcome.findings) else "KG001")
        render("text", outcome, Options())
        render("json", outcome, Options())
        result = plan(outcome, unsafe=True)
        assert isinstance(result.diff, str)


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@FUZZ
@given(mutants(benign=True))
def test_fix_output_parses_is_idempotent_and_keeps_every_comment(deploy):
    with Project(deploy) as project:
        outcome = project.check()
        if any(f.rule.id == "KG001" for f in outcome.findings):
            event("does not load")
            return  # nothing to fix (the first property covers it)
        result = plan(outcome, unsafe=True)
        event("fixed" if result.files else "nothing to fix")
        for patch in result.files:
            after = patch.new_bytes()
            if patch.path.endswith(".yml"):  # the deploy file (a fix may also write .dockerignore)
                assert load_text(after, patch.path).problem is None, f"{patch.path} no longer parses:\n{patch.after}"
            assert set(comment_lines(patch.source.text)) <= set(comment_lines(patch.after)), patch.path
            with open(os.path.join(project.root, patch.path), "wb") as handle:
                handle.write(after)
        again = plan(project.check(), unsafe=True)
        assert [p.path for p in again.files] == [], again.diff


@FUZZ
@given(mutants(benign=True))
def test_the_compiled_schema_check_agrees_with_jsonschema(deploy):
    doc = load_text(deploy)
    if doc.problem is None:
        assert schema.valid(doc.data) == schema.validator().is_valid(doc.data)


def _property_names(node, found: set) -> set:
    """Every key the schema names under `properties`, so generated data reaches deep into it."""
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            _property_names(value, found)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, found)
    return found


def _json_values(schema_data: dict):
    keys = st.sampled_from(sorted(_property_names(schema_data, set()))) | st.text(max_size=8)
    scalars = (st.none() | st.booleans() | st.integers(-3, 5000) | st.floats(allow_nan=False) | st.sampled_from(
        ["", "amd64", "1g", "ALL", "127.0.0.1:5432:5432", "KG101", "error", "/tmp", "registry"]) | st.text(max_size=6))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
                        max_leaves=40)


def test_both_shipped_schemas_compile_and_the_keyword_list_is_jsonschemas():
    from jsonschema import Draft202012Validator

    from kamalguard.compiled_schema import VALIDATION_KEYWORDS, compile_schema
    from kamalguard.policy import schema as policy_schema

    assert set(Draft202012Validator.VALIDATORS) == VALIDATION_KEYWORDS
    assert compile_schema(schema._schema(), float_integers=False) is not None
    assert compile_schema(policy_schema(), float_integers=True) is not None


@FUZZ
@given(st.data())
def test_the_compiled_policy_and_kamal_checks_agree_with_jsonschema_on_any_data(data):
    from jsonschema import Draft202012Validator

    from kamalguard.compiled_schema import compile_schema
    from kamalguard.policy import schema as policy_schema

    policy = policy_schema()
    value = data.draw(_json_values(policy))
    assert compile_schema(policy, float_integers=True)(value) == Draft202012Validator(policy).is_valid(value)
    value = data.draw(_json_values(schema._schema()))
    assert schema.valid(value) == schema.validator().is_valid(value)
