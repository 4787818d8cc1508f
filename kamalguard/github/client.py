"""A small GitHub REST client on urllib: pagination, rate limits, retries, timeouts, and a dry-run twin.

The token only ever goes into the Authorization header of requests to the API URL's own origin: redirects are not
followed and a pagination link to another origin is refused.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from .. import __version__

DEFAULT_API_URL = "https://api.github.com"
IDEMPOTENT = {"GET", "PATCH", "PUT", "DELETE"}
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class ApiError(Exception):
    """A call that failed for good: `call` names it ("GET /repos/o/r/issues/1/comments"), `reason` says why."""

    def __init__(self, call: str, reason: str):
        super().__init__(f"{call} failed: {reason}")
        self.call = call
        self.reason = reason


def check_api_url(url: str) -> str:
    """The API URL without a trailing slash; raises ValueError unless it is https (or http to a loopback host)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"the API URL {url!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("the API URL must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"the API URL {url!r} must use https (plain http is allowed only to a loopback address), "
                         "or the token would cross the network unencrypted")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Response:
    status: int
    headers: dict  # lower-case names
    data: object


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx surfaces as an HTTPError: a redirect must not carry the token anywhere


class Client:
    """Requests to one GitHub API. `sleep` and `clock` are injectable so tests need not wait."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0, retries: int = 3, max_wait: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time):
        self.api_url = check_api_url(api_url)
        self.origin = urllib.parse.urlsplit(self.api_url)[:2]
        self.token = token
        self.timeout = timeout
        self.retries = retries  # extra attempts after a 5xx or a timeout
        self.max_wait = max_wait  # the longest a rate limit may make us wait, in seconds
        self.sleep = sleep
        self.clock = clock
        handlers = [_NoRedirect()]
        if is_loopback(urllib.parse.urlsplit(self.api_url).hostname or ""):
            handlers.append(urllib.request.ProxyHandler({}))  # a proxy cannot reach the runner's own loopback
        self._opener = urllib.request.build_opener(*handlers)

    def url(self, path: str, query: dict | None = None) -> str:
        return self.api_url + path + ("?" + urllib.parse.urlencode(query) if query else "")

    def call_name(self, method: str, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return f"{method} {parts.path}" + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        return self.send(method, self.url(path, query), body).data

    def paginate(self, path: str, query: dict | None = None) -> list:
        """Every item of a list endpoint, following the Link header's rel="next" (100 per page)."""
        items: list = []
        url: str | None = self.url(path, {"per_page": 100, **(query or {})})
        while url:
            response = self.send("GET", url)
            if not isinstance(response.data, list):
                raise ApiError(self.call_name("GET", url), "the answer is not a list")
            items += response.data
            url = self._next(response.headers.get("link", ""), url)
        return items

    def _next(self, link: str, current: str) -> str | None:
        match = _NEXT.search(link)
        if not match:
            return None
        target = urllib.parse.urljoin(current, match.group(1))
        if urllib.parse.urlsplit(target)[:2] != self.origin:
            raise ApiError(self.call_name("GET", current), f"the next page is on another host ({target}); "
                                                           "not sending the token there")
        return target

    def send(self, method: str, url: str, body: dict | None = None) -> Response:
        call = self.call_name(method, url)
        failures = rate_limits = 0
        while True:
            try:
                response = self._once(method, url, body)
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                # a POST that timed out may have been done: repeating it could post twice
                if method in IDEMPOTENT and failures < self.retries:
                    failures += 1
                    self.sleep(2 ** (failures - 1))
                    continue
                raise ApiError(call, f"no answer: {reason} (timeout {self.timeout:g} s)") from None
            if response.status < 300:
                return response
            wait = self._rate_limit_wait(response)
            if wait is not None:
                if wait > self.max_wait:
                    raise ApiError(call, f"rate limited ({response.status}) for {wait:.0f} more seconds, longer "
                                         f"than the {self.max_wait:g} s kamalguard waits: {_message(response)}")
                if rate_limits == 2:
                    raise ApiError(call, f"still rate limited ({response.status}) after waiting twice: "
                                         f"{_message(response)}")
                rate_limits += 1
                self.sleep(wait)
                continue
            if response.status >= 500 and failures < self.retries:
                failures += 1
                self.sleep(2 ** (failures - 1))
                continue
            raise ApiError(call, f"{response.status} {_message(response)}{_hint(response)}")

    def _once(self, method: str, url: str, body: dict | None) -> Response:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"kamalguard/{__version__}",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return _response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return _response(error.code, error.headers, error.read())

    def _rate_limit_wait(self, response: Response) -> float | None:
        """Seconds to wait before trying again, when the answer is a rate limit (else None).

        GitHub says: honour retry-after; else, with x-ratelimit-remaining at 0, wait until x-ratelimit-reset
        (epoch seconds); a secondary rate limit without either means waiting a minute.
        """
        if response.status not in (403, 429):
            return None
        headers = response.headers
        if headers.get("retry-after", "").strip().isdigit():
            return float(headers["retry-after"])
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(float(headers["x-ratelimit-reset"]) - self.clock(), 0.0) + 1.0
        if response.status == 429 or "rate limit" in _message(response).lower():
            return 60.0
        return None


def _response(status: int, headers, raw: bytes) -> Response:
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        data = raw[:300].decode("utf-8", "replace")
    return Response(status, {k.lower(): v for k, v in headers.items()}, data)


def _message(response: Response) -> str:
    data = response.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data or "").strip()[:300] or "no message"


def _hint(response: Response) -> str:
    if response.status in (401, 403, 404):
        return (" (does the token have `pull-requests: write` and `issues: write`, and is this the right "
                "repository and pull request?)")
    if 300 <= response.status < 400:
        return f" (redirected to {response.headers.get('location', '?')}: use that API URL or repository name)"
    return ""


class DryRun(Client):
    """Sends nothing: prints each request instead. Reads answer as empty, so the writes shown are those a first
    run on the pull request would make."""

    def __init__(self, api_url: str, echo: Callable[[str], None]):
        super().__init__(api_url, token="")
        self.echo = echo

    def send(self, method: str, url: str, body: dict | None = None) -> Response:
        self.echo(f"{method} {url}")
        if body is not None:
            self.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return Response(200, {}, {})

    def paginate(self, path: str, query: dict | None = None) -> list:
        self.send("GET", self.url(path, {"per_page": 100, **(query or {})}))
        return []
