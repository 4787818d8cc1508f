"""`kamalguard pr-comment`: findings where reviewers look.

- One sticky issue comment (found again by a hidden marker, edited in place) with the whole report; it says "all
  clear" once nothing is left. No comment is created for a pull request that never had a finding.
- One review per head commit with a ```suggestion block for each fix whose lines lie in one hunk of the pull
  request's diff and include a line the pull request added or changed. GitHub rejects review comments outside the
  diff, and a finding on untouched lines is not this pull request's doing: those stay in the sticky comment (whose
  diff holds every fix). The review carries a marker with the head SHA: a second run on the same commit posts no
  second review.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field

import click

from ..report import ci, markdown
from .client import DEFAULT_API_URL, ApiError, Client, DryRun, check_api_url

STICKY_MARKER = "<!-- kamalguard:sticky-comment -->"
REVIEW_MARKER = "<!-- kamalguard:review sha={sha} -->"
COMMENT_LIMIT = 65536  # characters GitHub accepts in a comment body
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")
_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


class SetupError(Exception):
    """Missing or bad input (token, repository, pull request number, API URL)."""


@dataclass(frozen=True)
class PullRequest:
    repo: str  # OWNER/NAME
    number: int
    head_sha: str | None  # from the event; looked up when absent

    @property
    def base(self) -> str:
        return f"/repos/{self.repo}"


@dataclass
class Hunk:
    """The head side of one hunk of a file's patch: the text of each line it shows, and which were added."""

    lines: dict[int, str] = field(default_factory=dict)
    added: set[int] = field(default_factory=set)


def hunks(patch: str) -> list[Hunk]:
    """The hunks of a unified diff as GitHub gives it for a pull request's file (`patch`, without file headers)."""
    found: list[Hunk] = []
    number = 0
    for row in patch.split("\n"):
        match = _HUNK.match(row)
        if match:
            found.append(Hunk())
            number = int(match.group(1))
        elif found and row[:1] in ("+", " "):
            found[-1].lines[number] = row[1:].removesuffix("\r")
            if row[0] == "+":
                found[-1].added.add(number)
            number += 1
    return found


def _reviewable(change, file_hunks: list[Hunk], working_lines: list[str]) -> bool:
    """A suggestion can go into the review when its lines sit in one hunk, at least one of them was added by the
    pull request, and they read the same in the head commit as in the checked files (a merge commit checkout can
    differ from the head)."""
    numbers = range(change.start_line, change.end_line + 1)
    for hunk in file_hunks:
        if all(n in hunk.lines for n in numbers):
            return (any(n in hunk.added for n in numbers)
                    and all(n <= len(working_lines) and hunk.lines[n] == working_lines[n - 1] for n in numbers))
    return False


def on_changed_lines(candidates, pr_files: list[dict], root: str) -> list:
    """The (finding, suggestion) pairs whose suggestion touches lines this pull request changed."""
    patches = {f.get("filename"): hunks(f.get("patch") or "") for f in pr_files if f.get("status") != "removed"}
    texts: dict[str, list[str]] = {}
    chosen = []
    for finding, change in candidates:
        file_hunks = patches.get(ci.repository_path(change.file, root))
        if not file_hunks:
            continue
        if change.file not in texts:
            try:
                with open(change.file, encoding="utf-8", errors="replace") as handle:
                    texts[change.file] = [line.removesuffix("\r") for line in handle.read().split("\n")]
            except OSError:
                texts[change.file] = []
        if _reviewable(change, file_hunks, texts[change.file]):
            chosen.append((finding, change))
    return chosen


def _review_comment(finding, change, root: str, redact) -> dict:
    rule, fix = finding.rule, finding.fix
    about = f"Fix ({fix.safety}): {markdown.inline(redact(fix.description))}."
    if fix.note:
        about += f" Behaviour change: {markdown.inline(redact(fix.note))}"
    body = "\n\n".join([f"**[{rule.title}]({rule.help_uri})** ({finding.severity}): {markdown.inline(finding.message)}",
                        about, ci.fence(change.replacement, "suggestion")])
    comment = {"path": ci.repository_path(change.file, root), "line": change.end_line, "side": "RIGHT", "body": body}
    if change.start_line < change.end_line:
        comment.update(start_line=change.start_line, start_side="RIGHT")
    return comment


def post_review(client: Client, pr: PullRequest, head: str, reviewed: list, root: str, redact) -> str:
    marker = REVIEW_MARKER.format(sha=head)
    reviews = client.paginate(f"{pr.base}/pulls/{pr.number}/reviews")
    if any(marker in (review.get("body") or "") for review in reviews):
        return f"the review for commit {head[:12]} is already posted; not posting it again"
    count = len(reviewed)
    body = (f"{marker}\n**kamalguard** suggests {count} fix{'es' if count != 1 else ''} on lines this pull request "
            "changed. The kamalguard comment on this pull request has the full report.")
    client.request("POST", f"{pr.base}/pulls/{pr.number}/reviews", {
        "commit_id": head, "event": "COMMENT", "body": body,
        "comments": [_review_comment(finding, change, root, redact) for finding, change in reviewed],
    })
    return f"posted a review with {count} suggestion{'s' if count != 1 else ''}"


def update_sticky(client: Client, pr: PullRequest, body: str, all_clear: bool) -> str:
    comments = client.paginate(f"{pr.base}/issues/{pr.number}/comments")
    mine = next((c for c in comments if STICKY_MARKER in (c.get("body") or "")), None)
    if mine is None:
        if all_clear:
            return "nothing to report, so no comment"
        created = client.request("POST", f"{pr.base}/issues/{pr.number}/comments", {"body": body})
        return f"posted the comment {created.get('html_url', '')}".rstrip()
    if mine.get("body") == body:
        return "the comment is up to date"
    client.request("PATCH", f"{pr.base}/issues/comments/{mine['id']}", {"body": body})
    return f"updated the comment {mine.get('html_url', '')}".rstrip()


def publish(outcome, client: Client, pr: PullRequest, say) -> None:
    """Post the review and the sticky comment, saying what was done, one line each. Raises ApiError.

    A review GitHub refuses does not keep the sticky comment from being posted: its suggestions stay in the
    comment's diff, and the review's failure is raised afterwards.
    """
    head = pr.head_sha
    if head is None:
        pull = client.request("GET", f"{pr.base}/pulls/{pr.number}")
        head = ((pull if isinstance(pull, dict) else {}).get("head") or {}).get("sha")
    plan = ci.fix_plan(outcome)
    root = ci.repository_root(outcome)
    candidates = [(f, s) for f in ci.active(outcome.findings) if (s := ci.suggestion(plan, f)) is not None]
    reviewed, review_failure = [], None
    if candidates and head:
        reviewed = on_changed_lines(candidates, client.paginate(f"{pr.base}/pulls/{pr.number}/files"), root)
        if reviewed:
            try:
                say(post_review(client, pr, head, reviewed, root, outcome.redact))
            except ApiError as exc:
                reviewed, review_failure = [], exc
                say("the review was not posted; its suggestions stay in the comment's diff")
    report = markdown.report(outcome, plan, reviewed={id(f) for f, _ in reviewed},
                             limit=COMMENT_LIMIT - len(STICKY_MARKER) - 1)
    say(update_sticky(client, pr, f"{STICKY_MARKER}\n{report}", all_clear=not ci.active(outcome.findings)))
    if review_failure is not None:
        raise review_failure


def _event(env) -> dict:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SetupError(f"cannot read the event file GITHUB_EVENT_PATH={path}: {exc}") from None
    return event if isinstance(event, dict) else {}


def pull_request(env, repo: str | None, number: int | None) -> PullRequest:
    repo = repo or env.get("GITHUB_REPOSITORY")
    if not repo or not _REPO.match(repo):
        raise SetupError(f"the repository must be OWNER/NAME (got {repo!r}): pass --repo or set GITHUB_REPOSITORY")
    event_pr = _event(env).get("pull_request") or {}
    if number is None:
        number = event_pr.get("number")
        if not isinstance(number, int):
            raise SetupError("no pull request number: pass --pr N, or run on a pull_request event "
                             "(GITHUB_EVENT_PATH)")
    head = (event_pr.get("head") or {}).get("sha") if event_pr.get("number") == number else None
    return PullRequest(repo, number, head)


def run_pr_comment(paths, *, destination=None, repo=None, pr_number=None, api_url=None, dry_run=False,
                   environ=None, sleep=time.sleep, clock=time.time) -> int:
    """Check like `kamalguard check`, print the report, then post it. Exit code 0, or 2 when a file could not be
    checked or a GitHub call failed (the report is printed either way)."""
    from ..engine import Selection, run
    from ..kamal.project import resolve_targets
    from ..report import Options, render

    env = os.environ if environ is None else environ
    outcome = run(resolve_targets(list(paths), destination, False), Selection())
    click.echo(render("text", outcome, Options()), nl=False)
    token = env.get("GITHUB_TOKEN", "")
    try:
        pr = pull_request(env, repo, pr_number)
        try:
            url = check_api_url(api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL)
        except ValueError as exc:
            raise SetupError(str(exc)) from None
        if dry_run:
            click.echo("kamalguard: dry run: these requests would be sent (reads are taken as empty):")
            client = DryRun(url, click.echo)
        elif not token:
            raise SetupError("GITHUB_TOKEN is not set (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)")
        else:
            client = Client(url, token, sleep=sleep, clock=clock)
        prefix = "kamalguard: (dry run) " if dry_run else "kamalguard: "
        publish(outcome, client, pr, lambda line: click.echo(prefix + line, err=True))
    except (SetupError, ApiError) as exc:
        message = str(exc).replace(token, "***") if token else str(exc)
        click.echo(f"kamalguard: pr-comment: {message}", err=True)
        return 2
    return 2 if outcome.errors else 0
