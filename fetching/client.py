"""The polite, bounded, recorded HTTP client.

Why our own retry loop (not Prefect task retries, not httpx transport retries): every attempt must
land in the fetch ledger with its status and outcome; ``Retry-After`` must push back the *host's*
next slot (shared by every request to it, whichever task sends it); and a retry must wait its turn
in the host's politeness queue. Prefect retries would re-run a whole task without knowing any of
that, and httpx's transport retries only cover connection failures, silently. A Prefect
``timeout_seconds`` cannot interrupt blocking I/O, so the real limits are httpx's connect/read
timeouts plus a wall-clock deadline checked while streaming the body.

Per host (``host[:port]``): at most one request in flight (a ``HostGate`` slot held for the request), a jittered
minimum delay between requests (never below the source's ``delay``, nor robots.txt's Crawl-delay),
robots.txt fetched once and reused, hosts that block us are left alone, and a host failing
``park_after`` attempts in a row is parked. Blocked, parked and robots.txt live in a ``HostState``
(fetching/host_state.py): the process's own for a run on SQLite, shared by every worker on Postgres
(fetching/postgres_host_state.py). Whether a host is refused is asked before the request and again
inside the host's turn, and what an answer says of the host is written before the turn ends, so a
worker that waited for the turn behind a blocking answer does not send.

Conditional GETs: the caller may pass ``Validators``; when it does not and the sink can look them up
(``validators_for``, as ``Store`` does), the fetcher asks it, so listing pages re-fetched by a resumed
or later crawl are conditional too and a 304 reuses the stored snapshot.

Refusals (off-host URL, host blocked or parked earlier in the run, robots.txt) are ledger rows with
``attempt`` 0 and no status: nothing was sent, but the URL and why it was skipped stay traceable.
"""
from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from protego import Protego

from fetching.classify import classify_html, looks_binary, sniff_binary
from fetching.decode import Decoded, decode_html
from fetching.host_state import HostState, LocalHostState, Refusal, RobotsFile
from fetching.outcomes import DOCUMENT_OUTCOMES, is_transient
from fetching.politeness import HostGate, LocalHostGate
from fetching.settings import FetchSettings
from core.errors import PermanentFetchError, TransientFetchError
from core.urls import host_of

_TEXTUAL_TYPES = ("json", "xml", "javascript")


@dataclass(frozen=True)
class PageRequest:
    """What to fetch. Listing APIs (Hanweb dataproxy.jsp) need POST forms, hence ``form``."""

    url: str
    method: str = "GET"
    form: tuple[tuple[str, str], ...] | None = None

    @property
    def key(self) -> str:
        """Identity of the request in the ledger: the URL, plus the form for POSTs."""
        return self.url if not self.form else f"{self.url}#POST:{urlencode(self.form)}"


@dataclass(frozen=True)
class Validators:
    """What we stored of the last good fetch of a URL, for a conditional GET."""

    content_hash: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None  # of the stored snapshot: a 304 usually carries none, and the
    # charset may be declared only in the original response's header


@dataclass
class FetchRecord:
    """One row of the fetch ledger: one attempt (redirects followed) or one refusal to send."""

    run_id: int | None
    source_id: str | None
    purpose: str  # robots | listing | detail | attachment
    url: str
    method: str
    attempt: int
    outcome: str
    final_url: str | None = None
    status: int | None = None
    bytes: int = 0
    elapsed_ms: int = 0
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    content_type: str | None = None
    redirects: list[str] = field(default_factory=list)
    error: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))  # when it was sent


@dataclass
class Fetched:
    """A document we got: fresh (``ok``) or from the snapshot store after a 304 (``not_modified``)."""

    request: PageRequest
    final_url: str
    status: int
    outcome: str
    body: bytes
    content_type: str | None
    content_hash: str
    etag: str | None
    last_modified: str | None
    attempts: int
    decoded: Decoded | None  # set for HTML pages

    @property
    def text(self) -> str:
        if self.decoded is None:
            raise TypeError(f"{self.final_url} is not an HTML page")
        return self.decoded.text


class FetchSink(Protocol):
    """Where the fetcher keeps what it did (implemented by ``storage.store.Store``)."""

    def save_snapshot(self, content_hash: str, body: bytes, content_type: str | None) -> None: ...
    def load_snapshot(self, content_hash: str) -> bytes: ...
    def record_fetch(self, record: FetchRecord) -> None: ...
    # Optional: ``validators_for(url) -> Validators | None``; when present, GETs are conditional by default.


# The attempt number of a ledger row for a request that was not sent (a refusal).
NOT_SENT = 0


@dataclass
class _Host:
    """What this process keeps of a host: its request count and the parsed copy of its robots.txt."""

    state_lock: threading.Lock = field(default_factory=threading.Lock)  # the fields below
    robots_file: RobotsFile | None = None  # the copy the rules below were parsed from
    robots: Protego | None = None
    crawl_delay: float = 0.0
    requests: int = 0


class _Refused(Exception):
    """The host state refused a request (blocked or parked); the fetcher records it and raises."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.why)
        self.refusal = refusal


@dataclass
class _Attempt:
    outcome: str
    final_url: str
    status: int | None = None
    body: bytes | None = None
    headers: httpx.Headers | None = None
    redirects: list[str] = field(default_factory=list)
    error: str | None = None
    decoded: Decoded | None = None
    elapsed: float = 0.0
    sent_at: datetime | None = None  # wall-clock time the first byte was sent (the ledger's fetched_at)
    parked: bool = False  # this attempt's failure parked the host


class Fetcher:
    def __init__(
        self,
        sink: FetchSink,
        *,
        run_id: int | None = None,
        settings: FetchSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        gate: HostGate | None = None,
        host_state: HostState | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.sink = sink
        self.run_id = run_id
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.gate = gate or LocalHostGate(clock, sleep)
        self.host_state = host_state or LocalHostState()
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        s = self.settings
        self._client = httpx.Client(
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public -------------------------------------------------------------------------------

    def fetch(
        self,
        request: PageRequest | str,
        *,
        source_id: str | None,
        purpose: str,
        allowed_hosts: frozenset[str],
        delay: float,
        validators: Validators | None = None,
    ) -> Fetched:
        """Fetch one document or raise a typed ``FetchError`` naming the outcome class."""
        if isinstance(request, str):
            request = PageRequest(request)
        host_name = host_of(request.url)
        if host_name not in allowed_hosts:
            self._refuse(request, source_id, purpose, "off_host", f"{host_name} is not an allowed host of {source_id}")
        host = self._host(host_name)
        try:
            return self._fetch_allowed(request, host_name, host, source_id, purpose, allowed_hosts, delay, validators)
        except _Refused as refused:
            refusal = refused.refusal
        self._refuse(request, source_id, purpose, refusal.outcome, refusal.why)  # outside the except: no chained error
        raise AssertionError("unreachable")  # _refuse raises

    def _fetch_allowed(self, request: PageRequest, host_name: str, host: _Host, source_id: str | None, purpose: str,
                       allowed_hosts: frozenset[str], delay: float, validators: Validators | None) -> Fetched:
        """``fetch`` for an allowed host: raises ``_Refused`` when the host state refuses it."""
        refusal = self.host_state.refusal(host_name)  # before waiting for a turn the request may never use
        if refusal is not None:
            raise _Refused(refusal)
        if self.settings.obey_robots:
            disallowed = self._robots_refusal(host_name, host, request.url, source_id, delay)
            if disallowed:
                self._refuse(request, source_id, purpose, "robots_disallowed", disallowed)
        if validators is None:
            validators = self._stored_validators(request)
        headers = self._conditional_headers(validators)
        for attempt in range(1, self.settings.max_attempts + 1):
            result = self._polite_send(host_name, host, request, headers, allowed_hosts, delay)
            if result.outcome == "not_modified" and validators is None:
                result.outcome = "http_error"  # a 304 we did not ask for
            record = self._ledger_row(result, request, source_id, purpose, attempt, validators)
            self._record(record)
            if result.outcome in DOCUMENT_OUTCOMES:
                return self._fetched(result, record, request, attempt)
            transient = is_transient(result.outcome, result.status)
            retry_after = _retry_after_seconds(result.headers)
            if retry_after is not None and retry_after > self.settings.retry_after_max:
                transient = False
            if not transient or result.parked or attempt == self.settings.max_attempts:
                error = TransientFetchError if transient else PermanentFetchError
                raise error(request.url, result.outcome, result.error or (f"HTTP {result.status}" if result.status else ""))
            if retry_after is None:  # with one, the retry waits in the host's gate, pushed back already
                self._sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _refuse(self, request: PageRequest, source_id: str | None, purpose: str, outcome: str, why: str) -> None:
        """Record a request we will not send, and raise its outcome."""
        self._record(FetchRecord(self.run_id, source_id, purpose, request.key, request.method, NOT_SENT, outcome,
                                 error=f"not sent: {why}"))
        raise PermanentFetchError(request.url, outcome, why)

    def _stored_validators(self, request: PageRequest) -> Validators | None:
        """Validators from the sink for a plain GET, when the sink keeps them and the setting allows."""
        lookup = getattr(self.sink, "validators_for", None)
        if not self.settings.conditional_get or lookup is None or request.method != "GET" or request.form:
            return None
        return lookup(request.key)

    def host_report(self) -> dict[str, dict[str, object]]:
        """Per host this fetcher asked for: requests it sent, and the blocked/parked flags and failure
        streak of the host state (on Postgres: as every worker left them)."""
        with self._hosts_lock:
            requests = {name: h.requests for name, h in sorted(self._hosts.items())}
        statuses = self.host_state.status(list(requests))
        return {name: {"requests": count, "blocked": statuses[name].blocked, "parked": statuses[name].parked,
                       "consecutive_failures": statuses[name].consecutive_failures}
                for name, count in requests.items()}

    # -- politeness ---------------------------------------------------------------------------

    def _host(self, name: str) -> _Host:
        with self._hosts_lock:
            return self._hosts.setdefault(name, _Host())

    def _polite_send(self, host_name: str, host: _Host, request: PageRequest, headers: dict[str, str],
                     allowed_hosts: frozenset[str], delay: float, raw: bool = False) -> _Attempt:
        spacing = max(delay, host.crawl_delay) * (1 + self._rng.uniform(0, self.settings.delay_jitter))
        with self.gate.turn(host_name, spacing):  # one request in flight per host, spaced
            refusal = self.host_state.refusal(host_name)  # another worker may have blocked it while we waited
            if refusal is not None:
                raise _Refused(refusal)
            with host.state_lock:
                host.requests += 1
            result = self._send(request, headers, allowed_hosts, raw)
            # Before the turn ends: a thread queued for the host must find the host pushed back
            # (and blocked or parked) when it gets the slot; after the turn, a queued thread sent first.
            self._push_back(host_name, result)
            if not raw:  # robots.txt's answer says nothing of the host's pages (a 403 there allows all)
                self._note_answer(host_name, result)
            return result

    def _push_back(self, host_name: str, result: _Attempt) -> None:
        """Retry-After keeps the host closed for every request to it, the retry included."""
        retry_after = _retry_after_seconds(result.headers)
        if retry_after is not None:
            self.gate.push_back(host_name, min(retry_after, self.settings.retry_after_max))

    def _note_answer(self, host_name: str, result: _Attempt) -> None:
        """What an answer says of the host, written while the turn is still ours."""
        if result.outcome == "blocked":
            self.host_state.block(host_name, result.error or f"a challenge page, HTTP {result.status}")
        if is_transient(result.outcome, result.status):
            result.parked = self.host_state.failed(host_name, self.settings.park_after)
        else:
            self.host_state.succeeded(host_name)

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return base * self._rng.uniform(0.5, 1.5)

    def _robots_refusal(self, host_name: str, host: _Host, url: str, source_id: str | None, delay: float) -> str | None:
        """Why robots.txt forbids ``url`` (the ledger's reason), or None when it allows it."""
        robots = self.host_state.robots(host_name, lambda: self._fetch_robots(host_name, host, url, source_id, delay))
        if robots.unavailable:
            return f"robots.txt unavailable ({robots.unavailable}): the host is disallowed for now (RFC 9309)"
        rules = self._robots_rules(host, robots)
        if rules is None or rules.can_fetch(url, self.settings.user_agent):
            return None
        return "disallowed by robots.txt"

    def _robots_rules(self, host: _Host, robots: RobotsFile) -> Protego | None:
        """The rules of ``robots``, parsed once per copy (another worker may have read the copy)."""
        with host.state_lock:
            if host.robots_file is not robots:
                host.robots = Protego.parse(robots.body) if robots.body is not None else None
                crawl_delay = host.robots.crawl_delay(self.settings.user_agent) if host.robots else None
                host.crawl_delay = float(crawl_delay) if crawl_delay else 0.0
                host.robots_file = robots
            return host.robots

    def _fetch_robots(self, host_name: str, host: _Host, url: str, source_id: str | None, delay: float) -> RobotsFile:
        """RFC 9309: 2xx → rules; 4xx → allow all; 5xx or unreachable → disallow all (while it lasts).

        A redirect chain we cannot finish (a loop, too long, another host) makes the file
        "unavailable" (§2.3.1.2), which is treated like a 4xx."""
        scheme = urlsplit(url).scheme
        request = PageRequest(f"{scheme}://{host_name}/robots.txt")
        result = self._polite_send(host_name, host, request, {}, frozenset({host_name}), delay, raw=True)
        self._record(self._ledger_row(result, request, source_id, "robots", 1, None))
        status = result.status
        if status is not None and 200 <= status < 300 and result.body is not None:
            # NUL never means anything in a robots.txt, and Postgres text cannot hold it
            body = result.body.decode("utf-8", errors="replace").replace("\x00", "")
            return RobotsFile(status, body, fetched_at=result.sent_at)
        if status is not None and status < 500:
            return RobotsFile(status, fetched_at=result.sent_at)  # 4xx, unfinished redirect, 2xx too large: no rules
        unavailable = result.error or f"{result.outcome}, HTTP {status}"
        return RobotsFile(status, unavailable=unavailable, fetched_at=result.sent_at)

    # -- one request, redirects followed by hand ------------------------------------------------

    def _send(self, request: PageRequest, headers: dict[str, str], allowed_hosts: frozenset[str],
              raw: bool = False) -> _Attempt:
        """One attempt. ``raw``: keep any 2xx body as is (robots.txt is not a page: a short one
        saying "Disallow: /404.html" must not be taken for a soft 404)."""
        sent_at = datetime.now(timezone.utc)
        attempt = self._send_following(request, headers, allowed_hosts, raw)
        attempt.sent_at = sent_at
        return attempt

    def _send_following(self, request: PageRequest, headers: dict[str, str], allowed_hosts: frozenset[str],
                        raw: bool) -> _Attempt:
        started = self._clock()
        deadline = started + self.settings.total_timeout
        url, method, form = request.url, request.method, request.form
        visited = {url}
        redirects: list[str] = []
        redirect_status: int | None = None
        try:
            for _hop in range(self.settings.max_redirects + 1):
                with self._client.stream(method, url, headers=headers, data=dict(form) if form else None) as response:
                    if response.is_redirect and response.status_code != 304:
                        target = urljoin(url, response.headers["location"])
                        redirect_status = response.status_code
                        redirects.append(target)
                        if target in visited:
                            return _Attempt("redirect_loop", url, response.status_code, redirects=redirects,
                                            elapsed=self._clock() - started)
                        if host_of(target) not in allowed_hosts:
                            return _Attempt("off_host", target, response.status_code, redirects=redirects,
                                            elapsed=self._clock() - started, error=f"redirect to {host_of(target)}")
                        visited.add(target)
                        if response.status_code in (301, 302, 303):
                            method, form = "GET", None
                        url = target
                        continue
                    attempt = self._read(response, deadline, raw)
                    attempt.final_url, attempt.redirects = url, redirects
                    attempt.elapsed = self._clock() - started
                    return attempt
            return _Attempt("too_many_redirects", url, redirect_status, redirects=redirects, elapsed=self._clock() - started)
        except httpx.TimeoutException as exc:
            return _Attempt("timeout", url, error=f"{type(exc).__name__}: {exc}", redirects=redirects,
                            elapsed=self._clock() - started)
        except _BodyDeadline:
            return _Attempt("timeout", url, error=f"body not complete within {self.settings.total_timeout}s",
                            redirects=redirects, elapsed=self._clock() - started)
        except httpx.HTTPError as exc:
            return _Attempt("error", url, error=f"{type(exc).__name__}: {exc}", redirects=redirects,
                            elapsed=self._clock() - started)

    def _read(self, response: httpx.Response, deadline: float, raw: bool = False) -> _Attempt:
        status = response.status_code
        base = dict(final_url=str(response.url), status=status, headers=response.headers)
        if status == 304:
            return _Attempt("not_modified", **base)
        if status in (403, 412):
            return _Attempt("blocked", **base, error=f"HTTP {status}")
        if status == 404:
            return _Attempt("not_found", **base)
        if status == 410:
            return _Attempt("gone", **base)
        if not 200 <= status < 300:
            return _Attempt("http_error", **base)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
            return _Attempt("too_large", **base, error=f"Content-Length {declared} > {self.settings.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.settings.max_bytes:
                return _Attempt("too_large", **base, error=f"body exceeded {self.settings.max_bytes} bytes")
            if self._clock() > deadline:
                raise _BodyDeadline()
            chunks.append(chunk)
        body = b"".join(chunks)
        if raw:
            return _Attempt("ok", body=body, **base)
        return self._classify_body(body, response.headers.get("content-type"), base)

    def _classify_body(self, body: bytes, content_type: str | None, base: dict) -> _Attempt:
        if sniff_binary(body):
            return _Attempt("ok", body=body, **base)
        if looks_binary(body):
            return _Attempt("not_document", body=None, **base, error="binary content of unknown type")
        if content_type and any(t in content_type.lower() for t in _TEXTUAL_TYPES):
            return _Attempt("ok", body=body, **base)
        decoded = decode_html(body, content_type)
        outcome = classify_html(decoded.text)
        return _Attempt(outcome, body=body if outcome == "ok" else None, decoded=decoded, **base)

    # -- ledger --------------------------------------------------------------------------------

    def _conditional_headers(self, validators: Validators | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return headers

    def _ledger_row(self, result: _Attempt, request: PageRequest, source_id: str | None, purpose: str,
                    attempt: int, validators: Validators | None) -> FetchRecord:
        headers = result.headers or httpx.Headers()
        content_hash = None
        if result.outcome == "ok" and result.body is not None:
            content_hash = hashlib.sha256(result.body).hexdigest()
            self.sink.save_snapshot(content_hash, result.body, headers.get("content-type"))
        elif result.outcome == "not_modified" and validators is not None:
            content_hash = validators.content_hash
        return FetchRecord(
            run_id=self.run_id, source_id=source_id, purpose=purpose, url=request.key, method=request.method,
            attempt=attempt, outcome=result.outcome, final_url=result.final_url, status=result.status,
            bytes=len(result.body or b""), elapsed_ms=int(result.elapsed * 1000),
            etag=headers.get("etag") or (validators.etag if validators and result.outcome == "not_modified" else None),
            last_modified=headers.get("last-modified")
            or (validators.last_modified if validators and result.outcome == "not_modified" else None),
            content_hash=content_hash, content_type=_content_type(result, headers, validators), redirects=result.redirects,
            error=result.error, fetched_at=result.sent_at or datetime.now(timezone.utc),
        )

    def _record(self, record: FetchRecord) -> None:
        self.sink.record_fetch(record)

    def _fetched(self, result: _Attempt, record: FetchRecord, request: PageRequest, attempt: int) -> Fetched:
        assert record.content_hash is not None
        body = result.body if result.body is not None else self.sink.load_snapshot(record.content_hash)
        decoded = result.decoded
        if result.outcome == "not_modified" and not sniff_binary(body):
            decoded = decode_html(body, record.content_type)
        return Fetched(
            request=request, final_url=result.final_url, status=result.status or 0, outcome=result.outcome,
            body=body, content_type=record.content_type, content_hash=record.content_hash, etag=record.etag,
            last_modified=record.last_modified, attempts=attempt, decoded=decoded,
        )


def _content_type(result: _Attempt, headers: httpx.Headers, validators: Validators | None) -> str | None:
    """The response's type; for a 304, the stored snapshot's (a 304 rarely repeats it)."""
    if result.outcome == "not_modified" and validators is not None:
        return headers.get("content-type") or validators.content_type
    return headers.get("content-type")


class _BodyDeadline(Exception):
    """The body was still streaming at the wall-clock deadline."""


def _retry_after_seconds(headers: httpx.Headers | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not headers or "retry-after" not in headers:
        return None
    value = headers["retry-after"].strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
