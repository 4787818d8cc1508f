"""The command line. Heavy modules are imported inside the commands that need them, to keep start-up fast."""

from __future__ import annotations

import gc
import os
import sys

import click

from . import __version__
from .report import FORMATS

FAIL_ON = click.Choice(["error", "warning", "info", "never"])


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _use_color(output: str | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


class Group(click.Group):
    """Bad input gets a message and exit code 2, never a traceback (KAMALGUARD_DEBUG=1 shows it)."""

    def main(self, args=None, *rest, **options):
        if args is not None:  # called by a program with its own arguments: leave its process as it is
            return super().main(args, *rest, **options)
        # Run as the program: the process ends with the command. The cycle collector is off until then (see
        # invoke), and what is left is frozen at the end, so the interpreter's last full collection, which runs
        # even with the collector off, has nothing to walk (about a tenth of a check).
        gc.disable()
        try:
            return super().main(None, *rest, **options)
        finally:
            gc.freeze()

    def invoke(self, ctx):
        from .source.text import InputError

        # A command is short, and keeps what it builds until it prints: the cycle collector would only walk that
        # growing heap again and again (a fifth of the time of a 200-project check) to free next to nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"kamalguard: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            # the reader left (`kamalguard check | head`): stop quietly, and keep Python from failing again when
            # it flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            # a file kamalguard was told to write (--output, --patch) or found unreadable: the system's reason
            if os.environ.get("KAMALGUARD_DEBUG"):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"kamalguard: {where}{exc.strerror or exc}", err=True)
            sys.exit(2)
        except Exception as exc:
            if os.environ.get("KAMALGUARD_DEBUG"):
                raise
            click.echo(f"kamalguard: internal error: {type(exc).__name__}: {exc} "
                       f"(set KAMALGUARD_DEBUG=1 for details, and please report it)", err=True)
            sys.exit(2)
        finally:
            if collecting:
                gc.enable()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kamalguard")
def main():
    """Validate and harden Kamal deploy configs (config/deploy.yml), without running their ERB."""


def target_options(func):
    func = click.option("--root", type=click.Path(file_okay=False),
                        help="Project root (the folder holding config/); default: found from the deploy file.")(func)
    func = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="Policy file to use instead of .kamalguard.yml / pyproject.toml.")(func)
    func = click.option("--ignore", help="Rules to skip: ids, prefixes or slugs, comma-separated.")(func)
    func = click.option("--select", help="Only these rules: ids (KG101), prefixes (KG1) or slugs.")(func)
    func = click.option("--all-destinations", is_flag=True,
                        help="Check the base config and every config/deploy.*.yml destination.")(func)
    func = click.option("-d", "--destination", help="Merge config/deploy.NAME.yml over the base, as `kamal -d`.")(func)
    return click.argument("paths", nargs=-1)(func)


def _run(paths, destination, all_destinations, select, ignore, config_file, root):
    from .engine import Selection, run
    from .kamal.project import resolve_targets

    if destination and all_destinations:
        raise click.UsageError("use either -d NAME or --all-destinations, not both")
    targets = resolve_targets(list(paths), destination, all_destinations, root)
    return run(targets, Selection(_names(select), _names(ignore)), config_file)


def _fail_on(option: str | None, outcome) -> str:
    if option:
        return option
    policies = [c.policy.fail_on for c in outcome.checked if c.policy.fail_on]
    return policies[0] if policies else "warning"


@main.command()
@target_options
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--fail-on", type=FAIL_ON, help="Lowest severity that makes the exit code 1 [default: warning].")
def check(paths, destination, all_destinations, select, ignore, config_file, root, fmt, output, fail_on):
    """Check deploy configs. PATH is a deploy file, a project folder, or - for stdin (default: .).

    Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or unreadable file.
    """
    from .engine import exit_code
    from .report import Options, render

    outcome = _run(paths, destination, all_destinations, select, ignore, config_file, root)
    _emit(render(fmt, outcome, Options(color=_use_color(output))), output)
    for error in outcome.errors:  # on stderr whatever the format, so a report on stdout stays parseable
        click.echo(f"kamalguard: {error}", err=True)
    sys.exit(exit_code(outcome, _fail_on(fail_on, outcome)))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "reference"]), default="text",
              show_default=True, help="markdown: the README table; reference: every rule's full documentation.")
def list_rules(fmt):
    """List every rule, structural ones included."""
    from .docs import rules_json, rules_markdown, rules_reference, rules_text

    formats = {"text": rules_text, "json": rules_json, "markdown": rules_markdown, "reference": rules_reference}
    click.echo(formats[fmt](), nl=False)


@main.command()
@click.argument("rule_id")
def explain(rule_id):
    """Explain one rule: what it checks, why, examples, and its fix."""
    from .docs import explain as explain_rule
    from .rules import find

    rule = find(rule_id)
    if rule is None:
        raise click.UsageError(f"no rule called {rule_id!r}; `kamalguard rules` lists them")
    click.echo(explain_rule(rule), nl=False)


@main.command()
@target_options
@click.option("--write", is_flag=True, help="Apply the fixes to the files (default: print a diff, change nothing).")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour or guess a value.")
@click.option("--patch", "patch_file", type=click.Path(dir_okay=False), help="Also write the diff to this file.")
@click.option("--fail-on", type=FAIL_ON, help="With --write: lowest severity left that makes the exit code 1.")
def fix(paths, destination, all_destinations, select, ignore, config_file, root, write, unsafe_fixes, patch_file,
        fail_on):
    """Fix findings with minimal patches that keep every comment.

    Without --write: print the unified diff (git apply can use it) and exit 1 if it is not empty.
    With --write: apply safe fixes (and unsafe ones with --unsafe-fixes), then exit as `check` would.
    """
    from .fix.command import run_fix

    if write and "-" in paths:
        raise click.UsageError("--write cannot write back to stdin; run fix without --write to get the diff")

    outcome = _run(paths, destination, all_destinations, select, ignore, config_file, root)
    code = run_fix(outcome, write=write, unsafe=unsafe_fixes, patch_file=patch_file, color=_use_color(None))
    if write and code == 0:
        from .engine import exit_code

        code = exit_code(_run(paths, destination, all_destinations, select, ignore, config_file, root),
                         _fail_on(fail_on, outcome))
    sys.exit(code)


@main.command()
@click.argument("path", default=".")
@click.option("-d", "--destination", help="Also record findings of this destination.")
@click.option("--all-destinations", is_flag=True, help="Also record findings of every destination.")
@click.option("--force", is_flag=True, help="Overwrite an existing .kamalguard.yml.")
def init(path, destination, all_destinations, force):
    """Write a starter .kamalguard.yml that records today's findings as exclusions to work down."""
    from .init_policy import write_starter_policy

    written, summary = write_starter_policy(path, destination=destination, all_destinations=all_destinations,
                                            force=force)
    click.echo(f"wrote {written}: {summary}")


@main.command("pr-comment")
@click.argument("paths", nargs=-1)
@click.option("-d", "--destination", help="Merge config/deploy.NAME.yml over the base, as `kamal -d`.")
@click.option("--repo", help="OWNER/NAME (default: $GITHUB_REPOSITORY).")
@click.option("--pr", "pr_number", type=int, help="Pull request number (default: from $GITHUB_EVENT_PATH).")
@click.option("--api-url", help="GitHub API URL (default: $GITHUB_API_URL or https://api.github.com).")
@click.option("--dry-run", is_flag=True, help="Print the requests it would send; send nothing.")
def pr_comment(paths, destination, repo, pr_number, api_url, dry_run):
    """Post findings to a pull request: one sticky comment, and a review with suggestions on changed lines."""
    from .github.pr_comment import run_pr_comment

    sys.exit(run_pr_comment(list(paths), destination=destination, repo=repo, pr_number=pr_number,
                            api_url=api_url, dry_run=dry_run))
