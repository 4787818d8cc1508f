"""`kamalguard pr-comment` against a GitHub stand-in on 127.0.0.1 (pytest-httpserver): the exact requests it makes,
pagination, a 502, a rate limit, the sticky comment's life (create, update, all clear), review suggestions only on
lines the pull request changed, one review per head commit, dry runs, and failures.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from werkzeug.wrappers import Response

from kamalguard.github.client import ApiError, Client
from kamalguard.github.pr_comment import REVIEW_MARKER, STICKY_MARKER, run_pr_comment

from .conftest import write_project
from .test_formats import READ_ONLY, only_test_rule  # noqa: F401  (only_test_rule is a fixture)

pytestmark = pytest.mark.usefixtures("only_test_rule")

REPO = "octo/app"
HEAD = "4f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
TOKEN = "ghs_TestToken0123456789abcdefABCDEF012345"
BASE = f"/repos/{REPO}"
PAGE = 2  # the stand-in's page size, so that a few items already need several pages

DEPLOY = """\
service: myapp
image: myorg/myapp
registry:
  username: myorg
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
servers:
  web:
    hosts:
      - 192.0.2.10
  jobs:
    hosts:
      - 192.0.2.11
    cmd: bin/jobs
"""
# The pull request added the jobs role (lines 13-16); the web role was there before.
PATCH = """\
@@ -10,3 +10,7 @@ servers:
   web:
     hosts:
       - 192.0.2.10
+  jobs:
+    hosts:
+      - 192.0.2.11
+    cmd: bin/jobs"""
PR_FILES = [{"filename": "README.md", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b"},
            {"filename": "app/config/deploy.yml", "status": "modified", "patch": PATCH},
            {"filename": "logo.png", "status": "added"}]
JOBS_SUGGESTION = {
    "path": "app/config/deploy.yml", "line": 16, "side": "RIGHT",
    "body": f"**[KG999 test-read-only]({READ_ONLY.help_uri})** (error): role 'jobs' runs with a writable root "
            "filesystem: set options.read-only: true\n\n"
            "Fix (unsafe): set options.read-only: true. Behaviour change: the app can no longer write outside its "
            "tmpfs paths\n\n"
            "```suggestion\n    cmd: bin/jobs\n    options:\n      read-only: true\n```",
}
REVIEW = {"commit_id": HEAD, "event": "COMMENT",
          "body": REVIEW_MARKER.format(sha=HEAD) + "\n**kamalguard** suggests 1 fix on lines this pull request "
                  "changed. The kamalguard comment on this pull request has the full report.",
          "comments": [JOBS_SUGGESTION]}
FIXED = "    options:\n      read-only: true\n"


class FakeGitHub:
    """The endpoints pr-comment uses, with lists kept in memory, pages of PAGE items and a Link header, and
    canned failures served before the real answer."""

    def __init__(self, httpserver):
        self.comments: list[dict] = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "nice"}]
        self.reviews: list[dict] = [{"id": 10, "body": "please fix the typo"}]
        self.files = list(PR_FILES)
        self.requests: list[tuple] = []
        self.failures: dict[tuple[str, str], list[Response]] = {}
        self.authorization: set[str] = set()
        self.url = httpserver.url_for("").rstrip("/")
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def handle(self, request):
        body = json.loads(request.data) if request.data else None
        self.requests.append((request.method, request.path, request.query_string.decode(), body))
        self.authorization.add(request.headers.get("Authorization"))
        canned = self.failures.get((request.method, request.path))
        if canned:
            return canned.pop(0)
        route = (request.method, request.path)
        if route == ("GET", f"{BASE}/pulls/7"):
            return _json({"number": 7, "head": {"sha": HEAD}})
        if route == ("GET", f"{BASE}/pulls/7/files"):
            return self.page(request, self.files)
        if route == ("GET", f"{BASE}/pulls/7/reviews"):
            return self.page(request, self.reviews)
        if route == ("POST", f"{BASE}/pulls/7/reviews"):
            self.reviews.append({"id": 10 + len(self.reviews), **body})
            return _json(self.reviews[-1])
        if route == ("GET", f"{BASE}/issues/7/comments"):
            return self.page(request, self.comments)
        if route == ("POST", f"{BASE}/issues/7/comments"):
            number = 100 + len(self.comments)
            self.comments.append({"id": number, "body": body["body"],
                                  "html_url": f"https://github.com/{REPO}/pull/7#issuecomment-{number}"})
            return _json(self.comments[-1], 201)
        match = re.fullmatch(rf"{BASE}/issues/comments/(\d+)", request.path)
        if request.method == "PATCH" and match:
            comment = next(c for c in self.comments if c["id"] == int(match.group(1)))
            comment["body"] = body["body"]
            return _json(comment)
        return _json({"message": "Not Found"}, 404)

    def page(self, request, items: list) -> Response:
        number = int(request.args.get("page", 1))
        headers = {}
        if number * PAGE < len(items):
            headers["Link"] = (f'<{self.url}{request.path}?per_page=100&page={number + 1}>; rel="next", '
                               f'<{self.url}{request.path}?per_page=100&page=9>; rel="last"')
        return _json(items[(number - 1) * PAGE : number * PAGE], headers=headers)


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")


@pytest.fixture
def github(httpserver):
    return FakeGitHub(httpserver)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A checkout with the project in app/, the working directory at its root as in a workflow."""
    (tmp_path / ".git").mkdir()
    write_project(tmp_path / "app", {"config/deploy.yml": DEPLOY})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD}}}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Run:
    """One `kamalguard pr-comment app` run: its exit code, output, and the waits it asked for."""

    def __init__(self, github, repo, capsys, *, event=True, dry_run=False, api_url=None, pr_number=None, env=None):
        self.waits: list[float] = []
        environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, **(env or {})}
        if event:
            environ["GITHUB_EVENT_PATH"] = str(repo / "event.json")
        self.code = run_pr_comment(["app"], api_url=api_url or github.url, dry_run=dry_run, pr_number=pr_number,
                                   environ=environ, sleep=self.waits.append, clock=lambda: 1_700_000_000.0)
        captured = capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        assert TOKEN not in self.out + self.err


def test_first_run_posts_a_review_on_changed_lines_and_a_sticky_comment(github, repo, capsys):
    github.failures[("GET", f"{BASE}/pulls/7/files")] = [
        _json({"message": "API rate limit exceeded"}, 403,
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000030"})]
    github.failures[("GET", f"{BASE}/issues/7/comments")] = [_json({"message": "Server Error"}, 502)]
    run = Run(github, repo, capsys)
    assert run.code == 0, run.err
    sticky = github.comments[-1]["body"]
    assert github.requests == [
        ("GET", f"{BASE}/pulls/7/files", "per_page=100", None),  # 403: rate limited until the reset
        ("GET", f"{BASE}/pulls/7/files", "per_page=100", None),
        ("GET", f"{BASE}/pulls/7/files", "per_page=100&page=2", None),
        ("GET", f"{BASE}/pulls/7/reviews", "per_page=100", None),
        ("POST", f"{BASE}/pulls/7/reviews", "", REVIEW),
        ("GET", f"{BASE}/issues/7/comments", "per_page=100", None),  # 502: tried again
        ("GET", f"{BASE}/issues/7/comments", "per_page=100", None),
        ("POST", f"{BASE}/issues/7/comments", "", {"body": sticky}),
    ]
    assert run.waits == [31.0, 1]  # until x-ratelimit-reset (+1 s), then the first backoff step
    assert github.authorization == {f"Bearer {TOKEN}"}
    # the web role's fix touches a line the pull request did not change: it stays in the sticky comment
    assert sticky.startswith(STICKY_MARKER + "\n### kamalguard: 2 errors\n")
    assert "line 10: role 'web' runs with a writable root filesystem" in sticky
    assert "line 13: role 'jobs' runs with a writable root filesystem" in sticky
    assert "  - fix (unsafe): set options.read-only: true (suggested in the review)" in sticky
    assert sticky.count("(suggested in the review)") == 1
    assert "```diff\n" in sticky
    assert "kamalguard: posted a review with 1 suggestion\n" in run.err
    assert f"kamalguard: posted the comment https://github.com/{REPO}/pull/7#issuecomment-102\n" in run.err
    assert run.out.startswith("app/config/deploy.yml:10:3: KG999 [error] role 'web'")


def test_a_second_run_on_the_same_commit_posts_nothing_new(github, repo, capsys):
    Run(github, repo, capsys)
    github.requests.clear()
    run = Run(github, repo, capsys)
    assert run.code == 0
    assert [r[:3] for r in github.requests] == [
        ("GET", f"{BASE}/pulls/7/files", "per_page=100"),
        ("GET", f"{BASE}/pulls/7/files", "per_page=100&page=2"),
        ("GET", f"{BASE}/pulls/7/reviews", "per_page=100"),
        ("GET", f"{BASE}/issues/7/comments", "per_page=100"),
        ("GET", f"{BASE}/issues/7/comments", "per_page=100&page=2"),
    ]
    assert "the review for commit 4f2c1e0d9b8a is already posted; not posting it again" in run.err
    assert "the comment is up to date" in run.err
    assert len(github.reviews) == 2 and len(github.comments) == 3


def test_the_sticky_comment_is_updated_in_place_then_says_all_clear(github, repo, capsys):
    Run(github, repo, capsys)
    comment_id = github.comments[-1]["id"]
    deploy = repo / "app" / "config" / "deploy.yml"
    deploy.write_text(DEPLOY.replace("      - 192.0.2.10\n", "      - 192.0.2.10\n" + FIXED))
    github.requests.clear()
    run = Run(github, repo, capsys)
    [update] = [r for r in github.requests if r[0] == "PATCH"]
    assert update[1] == f"{BASE}/issues/comments/{comment_id}"
    assert update[3]["body"].startswith(STICKY_MARKER + "\n### kamalguard: 1 error\n")
    assert "role 'web'" not in update[3]["body"]
    assert "kamalguard: updated the comment" in run.err

    deploy.write_text(DEPLOY.replace("      - 192.0.2.10\n", "      - 192.0.2.10\n" + FIXED) + FIXED)
    github.requests.clear()
    Run(github, repo, capsys)
    assert github.requests == [
        ("GET", f"{BASE}/issues/7/comments", "per_page=100", None),
        ("GET", f"{BASE}/issues/7/comments", "per_page=100&page=2", None),
        ("PATCH", f"{BASE}/issues/comments/{comment_id}", "",
         {"body": f"{STICKY_MARKER}\n### kamalguard: all clear\n\nNo findings in 1 file.\n"}),
    ]
    assert len(github.comments) == 3


def test_a_clean_pull_request_gets_no_comment(github, repo, capsys):
    (repo / "app" / "config" / "deploy.yml").write_text(
        DEPLOY.replace("      - 192.0.2.10\n", "      - 192.0.2.10\n" + FIXED) + FIXED)
    run = Run(github, repo, capsys)
    assert run.code == 0
    assert github.requests == [("GET", f"{BASE}/issues/7/comments", "per_page=100", None)]
    assert "nothing to report, so no comment" in run.err


def test_without_an_event_the_head_commit_is_looked_up(github, repo, capsys):
    run = Run(github, repo, capsys, event=False, pr_number=7)
    assert run.code == 0, run.err
    assert github.requests[0] == ("GET", f"{BASE}/pulls/7", "", None)
    assert github.reviews[-1]["commit_id"] == HEAD


def test_suggestions_only_where_the_head_reads_as_the_checked_files(github, repo, capsys):
    # a merge-commit checkout whose jobs role differs from the head: the lines do not match, so no suggestion
    github.files = [{"filename": "app/config/deploy.yml", "status": "modified",
                     "patch": PATCH.replace("cmd: bin/jobs", "cmd: bin/worker")}]
    run = Run(github, repo, capsys)
    assert run.code == 0
    assert not any(r[0] == "POST" and r[1].endswith("/reviews") for r in github.requests)
    assert "(suggested in the review)" not in github.comments[-1]["body"]


def test_dry_run_prints_the_requests_and_sends_nothing(github, repo, capsys):
    run = Run(github, repo, capsys, dry_run=True, env={"GITHUB_TOKEN": ""})
    assert run.code == 0
    assert github.requests == []
    assert f"GET {github.url}{BASE}/pulls/7/files?per_page=100\n" in run.out
    assert f"GET {github.url}{BASE}/issues/7/comments?per_page=100\n" in run.out
    post = run.out.index(f"POST {github.url}{BASE}/issues/7/comments\n")
    assert json.loads(run.out[post:].split("\n", 1)[1])["body"].startswith(STICKY_MARKER)
    assert "kamalguard: (dry run) posted the comment" in run.err


def test_a_failed_call_still_prints_the_report_and_exits_2(github, repo, capsys):
    github.failures[("POST", f"{BASE}/issues/7/comments")] = [
        _json({"message": "Resource not accessible by integration"}, 403)]
    run = Run(github, repo, capsys)
    assert run.code == 2
    assert "app/config/deploy.yml:13:3: KG999 [error] role 'jobs'" in run.out
    assert (f"kamalguard: pr-comment: POST {BASE}/issues/7/comments failed: 403 Resource not accessible by "
            "integration (does the token have `pull-requests: write`") in run.err


def test_a_refused_review_still_leaves_the_sticky_comment(github, repo, capsys):
    github.failures[("POST", f"{BASE}/pulls/7/reviews")] = [
        _json({"message": "Unprocessable Entity: line must be part of the diff"}, 422)]
    run = Run(github, repo, capsys)
    assert run.code == 2
    assert github.requests[-1][:2] == ("POST", f"{BASE}/issues/7/comments")
    assert "(suggested in the review)" not in github.comments[-1]["body"]
    assert "kamalguard: the review was not posted; its suggestions stay in the comment's diff\n" in run.err
    assert f"kamalguard: pr-comment: POST {BASE}/pulls/7/reviews failed: 422 Unprocessable Entity" in run.err


def test_server_errors_are_retried_a_bounded_number_of_times(github, repo, capsys):
    github.failures[("GET", f"{BASE}/issues/7/comments")] = [_json({"message": "Bad Gateway"}, 502)] * 4
    run = Run(github, repo, capsys)
    assert run.code == 2
    assert sum(1 for r in github.requests if r[1] == f"{BASE}/issues/7/comments") == 4
    assert run.waits == [1, 2, 4]
    assert f"GET {BASE}/issues/7/comments?per_page=100 failed: 502 Bad Gateway" in run.err


def test_a_rate_limit_longer_than_the_cap_fails_instead_of_waiting(github, repo, capsys):
    github.failures[("GET", f"{BASE}/pulls/7/files")] = [_json({"message": "slow down"}, 429, {"Retry-After": "3600"})]
    run = Run(github, repo, capsys)
    assert run.code == 2
    assert run.waits == []
    assert "rate limited (429) for 3600 more seconds" in run.err


def test_retry_after_is_honoured(github, repo, capsys):
    github.failures[("GET", f"{BASE}/pulls/7/files")] = [
        _json({"message": "You have exceeded a secondary rate limit"}, 403, {"Retry-After": "5"})]
    run = Run(github, repo, capsys)
    assert run.code == 0
    assert run.waits == [5.0]


def test_a_rate_limit_that_outlasts_two_waits_fails(github, repo, capsys):
    github.failures[("GET", f"{BASE}/pulls/7/files")] = [_json({"message": "slow down"}, 429, {"Retry-After": "2"})] * 3
    run = Run(github, repo, capsys)
    assert run.code == 2
    assert run.waits == [2.0, 2.0]
    assert f"GET {BASE}/pulls/7/files?per_page=100 failed: still rate limited (429) after waiting twice" in run.err


def test_plain_http_to_a_remote_host_is_refused(github, repo, capsys):
    run = Run(github, repo, capsys, api_url="http://github.example.com/api/v3")
    assert run.code == 2
    assert "must use https" in run.err
    assert "app/config/deploy.yml:10:3: KG999" in run.out  # the report is printed anyway
    assert github.requests == []


def test_missing_inputs_are_named(github, repo, capsys):
    run = Run(github, repo, capsys, env={"GITHUB_TOKEN": ""})
    assert run.code == 2 and "GITHUB_TOKEN is not set" in run.err
    run = Run(github, repo, capsys, event=False)
    assert run.code == 2 and "no pull request number: pass --pr N" in run.err
    run = Run(github, repo, capsys, env={"GITHUB_REPOSITORY": "not a repo"})
    assert run.code == 2 and "the repository must be OWNER/NAME" in run.err
    assert github.requests == []


def test_the_cli_never_prints_the_token(github, repo, monkeypatch):
    from .conftest import run_cli

    github.failures[("GET", f"{BASE}/pulls/7/files")] = [_json({"message": f"bad credentials {TOKEN}"}, 401)]
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(repo / "event.json"))
    result = run_cli("pr-comment", "app", "--api-url", github.url)
    assert result.exit_code == 2
    assert "failed: 401 bad credentials ***" in result.stderr
    assert TOKEN not in result.output


def test_a_pagination_link_to_another_host_is_not_followed(httpserver):
    httpserver.expect_request("/items").respond_with_json(
        [1], headers={"Link": '<https://elsewhere.example.com/items?page=2>; rel="next"'})
    client = Client(httpserver.url_for(""), TOKEN)
    with pytest.raises(ApiError, match="the next page is on another host"):
        client.paginate("/items")


def test_a_timeout_is_retried_for_reads_only(httpserver):
    def slow(request):
        time.sleep(0.3)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    waits = []
    client = Client(httpserver.url_for(""), TOKEN, timeout=0.1, retries=1, sleep=waits.append)
    with pytest.raises(ApiError, match=r"GET /slow\?per_page=100 failed: no answer: .*\(timeout 0.1 s\)"):
        client.paginate("/slow")
    assert waits == [1]
    with pytest.raises(ApiError, match="POST /slow failed: no answer"):
        client.request("POST", "/slow", {"body": "x"})
    assert waits == [1]
