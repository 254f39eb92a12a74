"""The base stream: Conviva's URL, HTTP Basic auth, error handling and retries, the page loop
with pages asked for ahead; the objects one run of the tap shares across its streams
(RunResources)."""

from __future__ import annotations

import email.utils
import functools
import itertools
import logging
import random
import re
import time
import typing as t
from collections.abc import Callable, Generator, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import msgspec
import requests
from singer_sdk import metrics
from singer_sdk.authenticators import BasicAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.pagination import BaseAPIPaginator, SinglePagePaginator
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import PageContext

from tap_conviva_sessions.auth import basic_auth
from tap_conviva_sessions.concurrency import (
    Lookahead,
    RequestGate,
    RunClosedError,
    WorkerPool,
    unread,
)
from tap_conviva_sessions.errors import (
    ApiUnavailableError,
    CredentialsRefusedError,
    EndpointRefusedError,
    NoAnswerError,
    ResponseTooLargeError,
    RetriesExhaustedError,
    RetryAtOnceError,
    TimeRangeRejectedError,
)
from tap_conviva_sessions.messages import RecordLines
from tap_conviva_sessions.owed import OwedItems, OwedLedger
from tap_conviva_sessions.progress import CountsForProgress

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

#: The discovery endpoint (relative to api_url): lists the session endpoints the account may use.
DISCOVERY_PATH = "/sessions"
#: The endpoint every account with the Sessions API has: a discovery answer that does not name
#: it is not one the tap can read (every endpoint is then assumed open).
CONTENT_PATH = "/sessions/content"
#: Query parameters that carry the time range, named in a 422 message.
RANGE_PARAMS = (
    "start_date",
    "end_date",
    "start_epoch",
    "end_epoch",
    "start_epoch_ms",
    "end_epoch_ms",
)
#: The longest wait between two tries when the API sends no Retry-After.
RETRY_WAIT_CAP_SECONDS = 60.0
#: Exponential waits are lengthened by up to this share, so that clients do not retry in step.
RETRY_JITTER = 0.1
#: Failures of the connection itself (the SDK retries the same list).
NETWORK_FAILURES = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")


def describe_shape(value: t.Any, depth: int = 2) -> str:
    """A short picture of a JSON document's shape (keys and types, never its values)."""
    if isinstance(value, dict):
        if depth == 0:
            return "{...}"
        inner = ", ".join(
            f"{k}: {describe_shape(v, depth - 1)}" for k, v in list(value.items())[:6]
        )
        return "{" + inner + (", ..." if len(value) > 6 else "") + "}"
    if isinstance(value, list):
        return f"[{describe_shape(value[0], depth)}, ...]" if value else "[]"
    return type(value).__name__


def strings(value: t.Any) -> Iterable[str]:
    """Every string anywhere in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def api_message(response: requests.Response) -> str:
    """The API's own words (``{"message": ...}``), or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200].strip()


# -- what one run shares ---------------------------------------------------------------------


class BackoffEcho(logging.Filter):
    """Leaves out the lines the backoff library logs by itself ("Backing off ...", "Giving up
    ..."): backoff_handler says each retry once, and RetriesExhaustedError says the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Backing off %s(", "Giving up %s("))


BACKOFF_ECHO = BackoffEcho()


class StateSink(t.Protocol):
    """The Tap's public ``state_writer`` as a stream uses it."""

    def write_state(self, state: t.Any) -> None: ...


@dataclass
class OpenEndpoints:
    """The session endpoints the account may use, as the discovery endpoint lists them: asked
    once per run, by the first stream that needs to know."""

    asked: bool = False
    #: The listed paths; None when the discovery endpoint could not be read (all assumed open).
    paths: frozenset[str] | None = field(default=None)

    def listed(self, answer: t.Any) -> bool:
        """Keep the paths of a discovery answer (its shape is not published: an endpoint
        counts as open when its path appears anywhere in it). False, and every endpoint assumed
        open, when the answer does not name the content endpoint, which every account with the
        Sessions API has: an answer of a shape the tap cannot read."""
        self.asked = True
        paths = frozenset(urlsplit(s).path.rstrip("/") for s in strings(answer) if "/" in s)
        if not any(p.endswith(CONTENT_PATH) for p in paths):
            self.paths = None
            return False
        self.paths = paths
        return True

    def unknown(self) -> None:
        """The discovery endpoint could not be read: every endpoint is assumed open."""
        self.asked = True
        self.paths = None

    def is_open(self, path: str) -> bool:
        return self.paths is None or any(p.endswith(path) for p in self.paths)


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    #: What every try of every request passes: max_requests_per_second and
    #: max_concurrent_requests across every stream, and the pause after a 429.
    gate: RequestGate
    #: The threads that send windows ahead of the streams (None: one request at a time).
    pool: WorkerPool | None
    #: How many pages a stream may have asked for ahead and not read yet (in flight or held).
    lookahead_depth: int
    #: How many pages ahead of the one being read a stream asks for: one fewer than the
    #: requests in flight (the stream's own request of a page not asked for ahead is the last).
    #: Each page asked for ahead that the stream then does not want costs a request or a turn
    #: of the pace, so no more are asked for than can be in flight; those further ahead are
    #: asked for as the stream reads on.
    pages_ahead: int
    #: The owed items of every stream, and the summary at the end of the sync.
    owed: OwedLedger
    #: The discovery endpoint's answer (one request per run).
    endpoints: OpenEndpoints
    #: The Tap's public state_writer: the sample streams write STATE after each window.
    state_writer: StateSink
    #: When the sync started (the day of a viewer summary whose answer does not say).
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def close(self) -> None:
        """The sync is over: pages asked for ahead and never read stop trying."""
        self.gate.close()


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """Retry-After as delay seconds or an HTTP date; None when absent or unreadable."""
    raw = (response.headers.get("Retry-After") or "").strip() if response is not None else ""
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def no_answer(exc: BaseException) -> NoAnswerError:
    """A network failure as a retriable error naming method, host and path (never the query,
    which may hold a session id or a password)."""
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    parts = urlsplit(url)
    where = f"{getattr(request, 'method', None) or 'GET'} {parts.netloc}{parts.path}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        what = "could not connect in time (request_timeout)"
    elif isinstance(exc, requests.exceptions.Timeout):
        what = "no answer in time (request_timeout)"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError | ConnectionResetError):
        what = "the answer was cut off"
    elif isinstance(exc, requests.exceptions.ContentDecodingError):
        what = "the answer could not be decoded"
    else:
        found = _ERRNO_TEXT.search(str(exc))
        what = f"could not connect ({found[1].strip()})" if found else "could not connect"
    return NoAnswerError(f"{where}: {what}", parts._replace(query="", fragment="").geturl())


def owed_reason(exc: BaseException) -> str | None:
    """Why the item a failed request was for is owed (its last failure, on one line), or None
    when the failure is the whole API's: no answer at all, the API saying it is unavailable
    (ApiUnavailableError), or throttling (429). The sync then
    ends, as the retry contract says; an item is owed only for answers about that item."""
    failure = exc.failure if isinstance(exc, RetriesExhaustedError) else exc
    if failure is None or isinstance(failure, NoAnswerError | ApiUnavailableError):
        return None
    response = getattr(failure, "response", None)
    if response is not None and response.status_code == 429:
        return None
    return " ".join(str(failure).split())[:300]


def throttled(failure: t.Any) -> bool:
    """Whether a failed try was the API throttling the tap (HTTP 429)."""
    response = getattr(failure, "response", None)
    return getattr(response, "status_code", None) == HTTPStatus.TOO_MANY_REQUESTS


def log_request_duration(
    stream: RESTStream, response: requests.Response, context: Context | None
) -> None:
    """The SDK's ``http_request_duration`` METRIC line for one answer (SDK 0.54 writes it from
    a private method of its own page loop, which this tap's loop replaces)."""
    tags: dict[str, t.Any] = {
        metrics.Tag.STREAM: stream.name,
        metrics.Tag.ENDPOINT: stream.path,
        metrics.Tag.HTTP_STATUS_CODE: response.status_code,
        metrics.Tag.STATUS: metrics.Status.SUCCEEDED
        if response.status_code < HTTPStatus.BAD_REQUEST
        else metrics.Status.FAILED,
    }
    if context:
        tags[metrics.Tag.CONTEXT] = context
    point = metrics.Point(
        "timer",
        metric=metrics.Metric.HTTP_REQUEST_DURATION,
        value=response.elapsed.total_seconds(),
        tags=tags,
    )
    metrics.log(stream.metrics_logger, point=point)


def service_unavailable(exc: BaseException) -> bool:
    """Whether a request's last failure was HTTP 503 with a Retry-After: the service says it is
    unavailable for a while (maintenance, overload), likely for every request, not just this
    item's. The item is owed and the sync ends (its state saved), rather than spending the retry
    budget on every item in turn; an item already owed that fails so again is owed again and the
    sync goes on, so that one item never stops two syncs in a row."""
    failure = exc.failure if isinstance(exc, RetriesExhaustedError) else exc
    response = getattr(failure, "response", None)
    return (
        response is not None
        and response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        and bool(response.headers.get("Retry-After"))
    )


# -- one response decoded once ---------------------------------------------------------------

_DECODED = "_tap_conviva_sessions_body"


def decoded(response: requests.Response, decode: Callable[[bytes], t.Any]) -> t.Any:
    """The response's body decoded once and kept on the response: validate_response decodes it
    (where a broken body is still retriable), the paginator and parse_response reuse it."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = decode(response.content)
    return response.__dict__[_DECODED]


def json_body(response: requests.Response) -> t.Any:
    """A Conviva answer's JSON document (decoded once)."""
    return decoded(response, msgspec.json.decode)


# -- the base stream -------------------------------------------------------------------------


class ConvivaStream(CountsForProgress, RESTStream[t.Any]):
    """A Conviva Insights 3.0 endpoint."""

    records_jsonpath = "$.sessions[*]"
    #: The path the discovery endpoint must list for this stream to run (default: its own).
    discovery_path: str | None = None

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)
        #: Pages asked for ahead of this stream's reading (the run's workers send them).
        self.lookahead = Lookahead(resources.pool, resources.lookahead_depth)
        self.record_lines = RecordLines(self, tap)

    def owed_items(self) -> OwedItems:
        """This stream's owed items (kept in its stream-level state entry)."""
        return self.resources.owed.of(self.name, self.get_context_state(None))

    def owe(self, item: dict[str, t.Any], failure: RetriesExhaustedError) -> bool:
        """Owe ``item`` to the next sync because its request failed for good, or re-raise when
        the failure is the whole API's (no answer at all, or throttling: the sync ends). True
        when the sync is to end after saving its state: the service said it is unavailable
        (:func:`service_unavailable`) and the item was not owed before."""
        reason = owed_reason(failure)
        if reason is None:
            raise failure
        owed = self.owed_items()
        before = item in owed.due()
        owed.owe(item, reason)
        return service_unavailable(failure) and not before

    def log_sync_costs(self) -> None:
        # SDK 0.54 calls this once per stream after the whole sync, every stream's state
        # written: the one public hook at the end of a sync, where the owed items are summed
        # up (and fail_on_owed ends the sync). tests/project/test_owed.py guards that order.
        super().log_sync_costs()
        self.lookahead.close()  # pages asked for ahead and never read stop trying
        self.resources.owed.stream_finished(self.name)

    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @cached_property
    def authenticator(self) -> BasicAuthenticator:
        return basic_auth(self.config)

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    # Answers ------------------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        self.check_answer(response, self.decode_body)
        if problem := self.shape_problem(self.body(response)):
            raise RetriableAPIError(
                f"Conviva answered HTTP {response.status_code} on {self.path} with a body that "
                f"is not the documented shape: {problem}",
                response,
            )

    def shape_problem(self, body: t.Any) -> str | None:
        """What is wrong with the shape of a 200 answer's body (None: nothing). Such an answer
        is retried, then its item is owed: it is never read as an empty success."""
        return None

    def body(self, response: requests.Response) -> t.Any:
        """The answer's JSON document, decoded once, the stream's way (:meth:`decode_body`)."""
        return decoded(response, self.decode_body)

    def decode_body(self, content: bytes) -> t.Any:
        """A page's JSON document (msgspec.DecodeError when it is not JSON)."""
        return msgspec.json.decode(content)

    def check_answer(
        self, response: requests.Response, decode: Callable[[bytes], t.Any] = msgspec.json.decode
    ) -> None:
        """Every answer of the API: an error with a message that says what to do, retriable
        where waiting may help; else its body must be JSON (decoded here, once, by
        ``decode``)."""
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            raise CredentialsRefusedError(
                "Conviva refused the API credentials (HTTP 401): client_id and client_secret "
                "must be an API client id and secret from Pulse's API management page, not a "
                "Pulse user login."
            )
        if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            raise ResponseTooLargeError(
                f"Conviva answered HTTP 413 on {self.path}: {api_message(response)}"
            )
        if status == HTTPStatus.FORBIDDEN:
            raise EndpointRefusedError(
                f"Conviva answered HTTP 403 on {self.path}: {api_message(response)}"
            )
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            raise TimeRangeRejectedError(
                f"Conviva rejected the time range {self.range_of(response)} on {self.path} "
                f"(HTTP 422: {api_message(response)}). A request may cover at most 3 hours and "
                "must start within the last 31 days."
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(
                f"Conviva answered HTTP {status} on {self.path}: {api_message(response)}", response
            )
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(
                f"Conviva answered HTTP {status} on {self.path}: {api_message(response)}"
            )
        try:
            decoded(response, decode)
        except msgspec.DecodeError:
            raise RetriableAPIError(
                f"Conviva answered {self.path} with a body that is not valid JSON "
                f"({len(response.content)} bytes)",
                response,
            ) from None

    def response_error_message(self, response: requests.Response) -> str:
        # The SDK's default puts the URL and the whole body in the message.
        return (
            f"Conviva answered HTTP {response.status_code} on {self.path}: {api_message(response)}"
        )

    @staticmethod
    def range_of(response: requests.Response) -> str:
        query = parse_qs(urlsplit(response.request.url or "").query)
        parts = [f"{name}={query[name][0]}" for name in RANGE_PARAMS if name in query]
        return " ".join(parts) or "(none given)"

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        yield from extract_jsonpath(self.records_jsonpath, input=self.body(response))

    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> Iterable[Context | None]:
        # No stream hangs from these: the SDK's default makes (and copies) a child context for
        # every record all the same.
        return ()

    @cached_property
    def writes_lines_directly(self) -> bool:
        return self.record_lines.applies()

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        # SDK 0.54's private per-record writer: overridden here only (messages.py says when the
        # line is written directly, and why); guarded by tests/project/test_record_lines.py and
        # tests/conviva_sessions/test_concurrency.py (every record of a sync passes here).
        if self.writes_lines_directly:
            self.record_lines.write(record)
            self.state_manager.is_flushed = False
        else:
            super()._write_record_message(record)

    # -- the page loop, with pages asked for ahead ---------------------------------------------

    def request_records(self, context: Context | None) -> Iterable[dict]:
        """The SDK's page loop (RESTStream.request_records, SDK 0.54) with pages asked for ahead
        on the run's workers (:meth:`pages_ahead`). The answers are read in the paginator's
        order, each checked as it is read: records, checks and state are those of one request
        at a time, and the paginator alone decides which page comes next."""
        paginator = self.get_new_paginator() or SinglePagePaginator()
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            while not paginator.finished:
                token = paginator.current_value
                response = self.lookahead.take(
                    self.page_key(context, token),
                    functools.partial(self.send_page, context, token),
                )
                request_counter.increment()
                self.update_sync_costs(response.request, response, context)
                self.send_ahead(context, paginator, response)
                records = iter(self.parse_response(response))
                first = next(records, None)
                if first is None and not paginator.continue_if_empty(response):
                    break  # the SDK's loop stops at an empty page too
                if first is not None:
                    yield first
                    yield from records
                paginator.advance(response)

    @staticmethod
    def page_key(context: Context | None, token: t.Any) -> Hashable:
        """What names one request of the stream: its token (the request is prepared from the
        token alone; the streams with partitions ask one at a time)."""
        return token

    def pages_ahead(self, paginator: BaseAPIPaginator, response: requests.Response) -> list[t.Any]:
        """The tokens of the pages the paginator will likely want after ``response``, in its
        order, as far as the lookahead's depth (none by default: one request at a time)."""
        return []

    def send_ahead(
        self, context: Context | None, paginator: BaseAPIPaginator, response: requests.Response
    ) -> None:
        """Ask for the first pages the paginator will likely want next (``pages_ahead`` of
        them, within the lookahead's room) while this one is read. A page asked for ahead that
        is no longer among those it will likely want (as far as the lookahead's depth) is
        dropped unread (its answer is never used, its next try never made)."""
        if self.lookahead.pool is None:
            return
        tokens = self.pages_ahead(paginator, response)
        keys = [self.page_key(context, token) for token in tokens]
        wanted = set(keys)
        self.lookahead.keep_only(lambda key: key in wanted)
        first = self.resources.pages_ahead
        for key, token in zip(keys[:first], tokens[:first], strict=True):
            if self.lookahead.room() <= 0:
                break
            if not self.lookahead.offered(key):
                prepared = self.prepare_page(context, token)
                self.lookahead.offer(key, functools.partial(self.sender, prepared, context))

    def send_page(self, context: Context | None, token: t.Any) -> requests.Response:
        """One page's request, prepared here (on the stream's thread: settings and state are
        read there only) and sent with its retries."""
        return self.sender(self.prepare_page(context, token), context)

    def prepare_page(self, context: Context | None, token: t.Any) -> requests.PreparedRequest:
        request = self.get_http_request(page=PageContext(context, token))
        return self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
        )

    @cached_property
    def proxies(self) -> dict[str, str]:
        """The proxies of the environment for the API's host (HTTPS_PROXY, NO_PROXY...), read
        once: requests would read the environment again for every request."""
        if not self.requests_session.trust_env:
            return dict(self.requests_session.proxies)
        found = requests.utils.get_environ_proxies(self.url_base)
        return {**found, **self.requests_session.proxies}

    @cached_property
    def sender(self) -> Callable[[requests.PreparedRequest, Context | None], requests.Response]:
        """``send`` within the retry contract (request_decorator)."""
        return t.cast(
            "Callable[[requests.PreparedRequest, Context | None], requests.Response]",
            self.request_decorator(self.send),
        )

    def send(
        self, prepared: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """One try of a page: credentials applied, sent, its duration logged, its answer
        checked (validate_response)."""
        response = self.transmit(prepared)
        log_request_duration(self, response, context)
        self.validate_response(response)
        return response

    def transmit(self, prepared: requests.PreparedRequest) -> requests.Response:
        return self.requests_session.send(
            self.authenticator(prepared),
            timeout=self.timeout,
            allow_redirects=self.allow_redirects,
            proxies=self.proxies,
        )

    # -- the retry contract (identical in the four taps) -----------------------------------------

    def backoff_max_tries(self) -> int:
        return 1_000  # the retry budget ends the retries, not a count of tries

    def backoff_jitter(self, value: float) -> float:
        return value  # the wait generator adds jitter to its own waits, never to a Retry-After

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """The waits between the tries of one request: 0 after renewed credentials, what
        Retry-After asks, else exponential from retry_initial_wait_seconds (up to 60 s, plus up
        to 10 %). It ends, and the request fails for good, when the next wait would end past
        retry_budget_seconds since the first try."""
        budget = float(self.config["retry_budget_seconds"])
        first = float(self.config["retry_initial_wait_seconds"])
        started = time.monotonic()
        failure = yield 0.0  # backoff primes the generator before the first try
        for attempt in itertools.count():
            if isinstance(failure, RetryAtOnceError):
                wait = 0.0
            elif (asked := retry_after_seconds(getattr(failure, "response", None))) is not None:
                wait = asked
            else:
                wait = min(first * 2**attempt, RETRY_WAIT_CAP_SECONDS)
                wait *= 1 + random.uniform(0, RETRY_JITTER)
            renewing = isinstance(failure, RetryAtOnceError)  # bounded by the tap's own rule
            if not renewing and time.monotonic() - started + wait > budget:
                return
            if throttled(failure):
                self.resources.gate.throttled(wait)  # every request of the run waits as long
            failure = yield wait

    def backoff_handler(self, details: Details) -> None:
        if self.resources.gate.closed or unread():
            # A page asked for ahead that nobody reads any more: it stops here, unsaid.
            raise RunClosedError("nobody reads this answer any more")
        self.logger.warning(
            "%s: try %d failed (%s); trying again in %.1f s",
            self.name,
            details.get("tries", 0),
            details.get("exception"),
            details.get("wait", 0.0),
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retries around ``func``, inside the retry contract: each try waits its turn
        (the run's RequestGate), a network failure becomes a NoAnswerError (whose message holds
        no query), and a request that still fails when its budget is spent ends the sync with one
        error naming the API host and the setting."""

        def one_try(*args: t.Any, **kwargs: t.Any) -> t.Any:
            with self.resources.gate.slot():
                try:
                    return func(*args, **kwargs)
                except NETWORK_FAILURES as exc:
                    raise no_answer(exc) from None

        retried = super().request_decorator(one_try)

        def request(*args: t.Any, **kwargs: t.Any) -> t.Any:
            started = time.monotonic()
            try:
                return retried(*args, **kwargs)
            except RetriableAPIError as exc:
                raise self.retries_exhausted(exc, time.monotonic() - started) from None

        return request

    def retries_exhausted(self, failure: RetriableAPIError, elapsed: float) -> FatalAPIError:
        response = failure.response
        url = response.url if response is not None else getattr(failure, "url", "")
        budget = float(self.config["retry_budget_seconds"])
        asked = retry_after_seconds(response)
        why = (
            f"the API asked to wait {asked:.0f} s more (Retry-After), past the budget"
            if asked is not None and elapsed + asked > budget
            else "the budget is spent"
        )
        host = urlsplit(url or "").netloc or "the API"
        return RetriesExhaustedError(
            f"{self.name}: gave up on {host} after {elapsed:.1f} s of tries, {why}: {failure}. "
            f"Raise retry_budget_seconds (now {budget:g} s) to keep trying longer",
            failure,
        )

    # The discovery endpoint -----------------------------------------------------------------

    def send_discovery(
        self, request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """One try of the discovery request, sent as the stream's pages are (authenticated,
        with the stream's timeout) and checked as any answer of the API."""
        response = self.transmit(request)
        self.check_answer(response)
        return response

    def endpoint_is_open(self) -> bool:
        """Whether the discovery endpoint lists this stream's path for the account (asked
        once per run, with the SDK's retries)."""
        endpoints = self.resources.endpoints
        if not endpoints.asked:
            request = self.build_prepared_request(
                method="GET", url=self.url_base + DISCOVERY_PATH, headers=self.http_headers
            )
            # The base class's request_decorator: a stream's own (which may owe its items) is
            # for its pages, not for the discovery call.
            ask = ConvivaStream.request_decorator(self, self.send_discovery)
            try:
                answer = json_body(ask(request, None))
            except CredentialsRefusedError:
                raise
            except RetriesExhaustedError as exc:
                if owed_reason(exc) is None:
                    raise  # no answer at all, or throttled: the sync ends
                self.logger.warning(
                    "Could not read the discovery endpoint (%s); assuming every session "
                    "endpoint is open",
                    exc.failure,
                )
                endpoints.unknown()
            except FatalAPIError as exc:
                self.logger.warning(
                    "Could not read the discovery endpoint (%s); assuming every session "
                    "endpoint is open",
                    exc,
                )
                endpoints.unknown()
            else:
                if not endpoints.listed(answer):
                    self.logger.warning(
                        "The discovery endpoint's answer does not name %s in a shape this tap "
                        "reads (%s); assuming every session endpoint is open (an endpoint the "
                        "account does not have answers 403, and its stream is skipped)",
                        CONTENT_PATH,
                        describe_shape(answer),
                    )
        return endpoints.is_open(self.discovery_path or str(self.path))
