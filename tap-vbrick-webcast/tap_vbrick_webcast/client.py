"""What the streams share: the run's resources (RunResources), the base Rev stream (URL, session,
Rev's errors, retries with Retry-After, the page loop with pages asked for ahead, scrolls) and
decoded(), the one way a response's body is decoded once."""

from __future__ import annotations

import email.utils
import functools
import itertools
import logging
import random
import re
import time
import typing as t
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk import metrics
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import SinglePagePaginator
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import PageContext

from tap_vbrick_webcast.auth import NOT_ALLOWED, RENEWED, RevSessionAuthenticator
from tap_vbrick_webcast.concurrency import (
    RequestGate,
    RequestPacer,
    RunClosedError,
    WorkerPool,
    unread,
)
from tap_vbrick_webcast.errors import (
    ApiUnavailableError,
    NoAnswerError,
    ReportFailedError,
    ReportUnavailableError,
    RetriesExhaustedError,
    RetryAtOnceError,
    ScrollExpiredError,
)
from tap_vbrick_webcast.messages import RecordLines
from tap_vbrick_webcast.owed import OwedItems, OwedLedger
from tap_vbrick_webcast.progress import CountsForProgress
from tap_vbrick_webcast.values import all_canonical, canonical_utc, has_zone, is_canonical

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_vbrick_webcast.ahead import PageKey, ReportKey, ReportsAhead
    from tap_vbrick_webcast.summaries import ReportSummaries

#: A report answered these is permanently unavailable (Vbrick's docs): skipped, not owed.
PERMANENT_STATUSES = frozenset({403, 404})
SCROLL_EXPIRED = 408
#: Rev's scroll ids expire about a minute after their answer: a first page held ahead longer than
#: this, its next page not yet asked for, is asked for again when it is read (its scroll id might
#: not last until the next page is asked for), instead of losing the report's scroll.
SCROLL_HOLD_SECONDS = 30.0
#: Kept on each prepared request and response: the context it is for (which webcast and run),
#: and when its answer came (monotonic).
CONTEXT = "_tap_vbrick_context"
ANSWERED_AT = "_tap_vbrick_answered_at"
#: Marks a request asked again after the session was renewed for it (a 401).
RENEWED_AFTER_401 = "_tap_vbrick_renewed_after_401"
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
T = t.TypeVar("T")
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")


class BackoffEcho(logging.Filter):
    """Leaves out the lines the backoff library logs by itself ("Backing off ...", "Giving up
    ..."): backoff_handler says each retry once, and RetriesExhaustedError says the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Backing off %s(", "Giving up %s("))


BACKOFF_ECHO = BackoffEcho()


def logged_sleep(logger: logging.Logger, what: str) -> Callable[[float], None]:
    """A pacer's sleep that says why the tap waits."""

    def sleep(seconds: float) -> None:
        logger.info("Waiting %.1f s before the next %s call (Vbrick's pace)", seconds, what)
        time.sleep(seconds)

    return sleep


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    #: What every try of every request passes: max_concurrent_requests and
    #: max_requests_per_second across every stream and webcast, the POST pace, and the pause
    #: after a 429.
    gate: RequestGate
    #: The threads that send report pages ahead of the streams (None: one request at a time).
    pool: WorkerPool | None
    #: The report pages asked for ahead, shared by the report streams (ahead.py).
    ahead: ReportsAhead
    #: The owed items of every stream, and the summary at the end of the sync.
    owed: OwedLedger
    #: The one Rev session of the run (every request carries its token).
    session: RevSessionAuthenticator
    #: Vbrick's pace for real-time attendees (REALTIME_CALLS_PER_SECOND), across webcasts.
    realtime_pacer: RequestPacer
    #: The post-event report's totals, from the sessions stream to the summary stream.
    report_summaries: ReportSummaries
    #: "Now" for the whole sync (UTC, ``...Z``): the search window's end, what is still open.
    sync_started_at: str
    #: What Rev's status call said of the webcasts asked about in this sync (id -> status).
    webcast_statuses: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """The sync is over: pages asked for ahead and never read stop trying."""
        self.ahead.close()
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


class VbrickStream(CountsForProgress, RESTStream[t.Any]):
    """Shared by every stream: Rev's URL, its session, its errors and its throttling."""

    # When False, a 4xx ends the sync; report streams skip that webcast instead (403/404
    # permanently, any other as an owed item).
    skip_unavailable_webcasts = False
    #: The field every record of an answer must carry (its key); None: the stream makes its own.
    record_key_field: t.ClassVar[str | None] = None
    #: Whether the stream scrolls (a 408, or a 400 to a scroll id, then restarts its scroll;
    #: elsewhere a 408 is a request timeout, retried).
    scrolls: t.ClassVar[bool] = False
    #: Whether the pages of this stream's reports are asked for ahead (ahead.py): the report
    #: streams but real-time attendees, which keep Vbrick's pace of 2 calls a minute.
    sent_ahead: t.ClassVar[bool] = False
    # Records are decoded JSON, so their values already have JSON types; `normalize` drops the
    # fields the schema does not declare and rewrites timestamps. The SDK's per-value
    # conformance would cost more than the rest of the tap together.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)
        self.record_lines = RecordLines(self, tap)

    def owed_items(self) -> OwedItems:
        """This stream's owed items (kept in its stream-level state entry)."""
        return self.resources.owed.of(self.name, self.get_context_state(None))

    def log_sync_costs(self) -> None:
        # SDK 0.54 calls this once per stream after the whole sync, every stream's state
        # written: the one public hook at the end of a sync, where the owed items are summed
        # up (and fail_on_owed ends the sync). tests/project/test_owed.py guards that order.
        super().log_sync_costs()
        self.resources.ahead.close()  # pages asked for ahead and never read stop trying
        self.resources.owed.stream_finished(self.name)

    @property
    def request_kind(self) -> str:
        """The kind of this stream's requests at the run's gate (its POST pace: Rev's limits
        are per method)."""
        return self.http_method

    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def authenticator(self) -> RevSessionAuthenticator:
        return self.resources.session

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @cached_property
    def declared_fields(self) -> frozenset[str]:
        return frozenset(self.schema.get("properties", {}))

    @cached_property
    def undeclared_seen(self) -> set[str]:
        return set()

    @cached_property
    def datetime_fields(self) -> tuple[str, ...]:
        """Top-level fields the schema declares as date-times (rewritten as UTC ``...Z``)."""
        return tuple(
            name
            for name, prop in self.schema.get("properties", {}).items()
            if prop.get("format") == "date-time"
        )

    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        # SDK 0.54 also authenticates while preparing, outside its retries: a login failing
        # there would end the sync at once. Here the session is applied only when the request
        # is sent (the SDK's send applies self.authenticator to each try), so the login is
        # inside the retry contract like any call (a refused login is fatal, never retried).
        request = requests.Request(*args, **kwargs)
        request.headers.setdefault("User-Agent", self.user_agent)
        return self.requests_session.prepare_request(request)

    # Answers -----------------------------------------------------------------------------------
    def validate_response(self, response: requests.Response) -> None:
        payload = self.checked_payload(response)
        problem = self.shape_problem(payload, response)
        if problem:
            # A well-formed answer of the wrong shape is never an empty success: asked again,
            # then (its retries spent) the report is owed, or the webcast search ends the sync.
            raise RetriableAPIError(
                f"{self.name}: Rev's answer{self.where(context_of(response))} is not {problem}",
                response,
            )

    def checked_payload(self, response: requests.Response) -> t.Any:
        """The decoded body of a successful answer, or the exception Rev's answer calls for."""
        status = response.status_code
        token = RevSessionAuthenticator.token_of(response.request)
        if status == HTTPStatus.UNAUTHORIZED:
            raise self.unauthorized(response, token)
        if status < 400:
            try:
                payload = decoded(response, rev_json)
            except msgspec.DecodeError as exc:
                # A body cut short (or not JSON): asking again is the cure.
                raise RetriableAPIError(
                    f"{self.name}: Rev's answer to {self.path_of(response)} is not valid "
                    f"JSON ({exc})",
                    response,
                ) from exc
            # Rev's scroll errors can arrive inside a 200 answer: {"statusCode": 408, ...}.
            embedded = payload.get("statusCode") if isinstance(payload, dict) else None
            if isinstance(embedded, int) and embedded >= 400 and payload.get("statusDescription"):
                status = embedded
            else:
                self.authenticator.note_success(token)
                return payload
        message = self.response_error_message(response, status)
        if self.scrolls and (
            status == SCROLL_EXPIRED
            or (status == HTTPStatus.BAD_REQUEST and carries_scroll_id(response.request))
        ):
            # Rev's "Invalid scroll id": the scroll is lost on its side; the listing starts over.
            raise ScrollExpiredError(message)
        if status in (HTTPStatus.TOO_MANY_REQUESTS, SCROLL_EXPIRED) or status >= 500:
            raise RetriableAPIError(message, response)
        if self.skip_unavailable_webcasts:
            if status in PERMANENT_STATUSES:
                raise ReportUnavailableError(message, status)
            raise ReportFailedError(message)
        raise FatalAPIError(message)

    def unauthorized(self, response: requests.Response, token: str | None) -> Exception:
        """A 401: Rev's code for an expired session and for "not allowed" alike. Rev's session
        check (GET /api/v2/user/session) tells them apart: a valid session means this user may
        not read this webcast (owed, never a new login); an invalid one is renewed once, for
        every request in flight refused with it (one check and one login for them all). A
        request refused again after the session was renewed for it ends the sync."""
        message = self.response_error_message(response)
        request = response.request
        answered_at = response.__dict__.get(ANSWERED_AT, time.monotonic())
        verdict = self.authenticator.after_unauthorized(
            token, answered_at, renewed_before=bool(request.__dict__.get(RENEWED_AFTER_401))
        )
        if verdict == RENEWED:
            request.__dict__[RENEWED_AFTER_401] = True
            return RetryAtOnceError(message, response)
        if verdict == NOT_ALLOWED:
            return self.failure(
                f"{message}: Rev confirms the session valid (GET /api/v2/user/session), so "
                "this Rev user may not read it"
            )
        return FatalAPIError(
            f"{message}: a freshly renewed session was refused too; check that the Rev user may "
            "read webcast reports"
        )

    def failure(self, message: str) -> FatalAPIError:
        """What ends this stream's work for the current item: for a report, its webcast and run
        are owed (ReportFailedError); for the webcast search, the sync ends."""
        if self.skip_unavailable_webcasts:
            return ReportFailedError(message)
        return FatalAPIError(message)

    @staticmethod
    def where(context: t.Mapping[str, t.Any] | None) -> str:
        """Which webcast and run an answer or a record is about (from the request's own context,
        never the stream's current one: a page sent ahead is for another webcast)."""
        if context and "eventId" in context:
            return f" for webcast {context['eventId']} run {context['runNumber']}"
        return ""

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        """What is wrong with the shape of a decoded answer (None: nothing). Here: a JSON array
        of records, each carrying record_key_field."""
        if not isinstance(payload, list):
            return "a JSON array"
        return self.keyless(payload)

    def keyless(self, records: list[t.Any]) -> str | None:
        """A problem when a record is not an object or lacks its key: an error (the item is
        owed), never a record with a null key that an upsert would fold into another."""
        key = self.record_key_field
        for record in records:
            if not isinstance(record, dict):
                return "a list of objects"
            if key and record.get(key) in (None, ""):
                return f"a list of records that each carry {key!r}"
        return None

    @staticmethod
    def path_of(response: requests.Response) -> str:
        # The path only: no query string, no host, never the Authorization header.
        return urlsplit(response.url or "").path

    def response_error_message(self, response: requests.Response, status: int | None = None) -> str:
        status = status or response.status_code
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = response.reason or "Error"
        detail = ""
        try:
            body = decoded(response, rev_json)
        except msgspec.DecodeError:
            body = None
        if isinstance(body, dict):
            text = (
                body.get("detail")
                or body.get("errorDescription")
                or body.get("statusDescription")
                or body.get("code")
            )
            detail = f": {str(text)[:200]}" if text else ""
        return (
            f"{self.name}: Rev answered {status} {reason} to {response.request.method} "
            f"{self.path_of(response)}{detail}"
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
            if throttled(failure) and self.request_kind != REALTIME_KIND:
                # Every request of the run waits as long. (Rev's real-time limit is a bucket of
                # its own, and real-time calls go one at a time: only that call waits.)
                self.resources.gate.throttled(wait)
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

    def request_decorator(
        self, func: Callable[..., t.Any], *, kind: str | None = None
    ) -> Callable[..., t.Any]:
        """The SDK's retries around ``func``, inside the retry contract: each try waits its turn
        (the run's RequestGate: requests in flight, max_requests_per_second, the pace of its
        ``kind``, a 429's pause), a network failure becomes a NoAnswerError (whose message holds
        no query), and a request that still fails when its budget is spent ends the sync with one
        error naming the API host and the setting."""
        kind = kind or self.request_kind

        def one_try(*args: t.Any, **kwargs: t.Any) -> t.Any:
            self.before_try()
            with self.resources.gate.slot(kind):
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

    def before_try(self) -> None:
        """Hook: a wait of the stream's own before each try, outside the run's gate (so that it
        holds none of the requests in flight)."""

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

    # The page loop, with pages asked for ahead -------------------------------------------------

    def get_new_paginator(self) -> BaseAPIPaginator | None:
        return None  # one page (ScrollStream: Rev's scroll)

    def report_key(self, context: Context | None) -> ReportKey:
        """What names this stream's report of one webcast run among the pages asked ahead."""
        context = context or {}
        return (self.name, context.get("eventId"), context.get("runNumber"))

    def request_records(self, context: Context | None) -> Iterable[dict]:
        """The SDK's page loop (RESTStream.request_records, SDK 0.54), reading the pages asked
        for ahead where there are (ahead.py). The paginator still decides which page comes next,
        and the answers are read in its order, each checked as it arrived: records, checks and
        state are those of one request at a time. A page the paginator wants that was not asked
        for ahead (or not the one asked for) is asked for here and then, and what was asked
        ahead for this report is dropped unread."""
        paginator = self.get_new_paginator() or SinglePagePaginator()
        ahead = self.resources.ahead
        seen = 0
        try:
            with self.get_http_request_counter() as request_counter:
                request_counter.with_context(context)
                while not paginator.finished:
                    token = paginator.current_value
                    response = self.take_page(context, token)
                    request_counter.increment()
                    self.update_sync_costs(response.request, response, context)
                    seen = self.send_next_ahead(context, token, seen, response)
                    records = iter(self.parse_response(response))
                    first = next(records, None)
                    if first is None and not paginator.continue_if_empty(response):
                        break  # the SDK's loop stops at an empty page too
                    if first is not None:
                        yield first
                        yield from records
                    paginator.advance(response)
        finally:
            if self.sent_ahead and ahead.active:
                ahead.drop(self.report_key(context))  # pages no longer needed: dropped unread

    def take_page(self, context: Context | None, token: t.Any) -> requests.Response:
        """The answer to one page: the one asked for ahead, else asked for now. A first page
        held longer than SCROLL_HOLD_SECONDS whose next page is not asked for yet is asked for
        again (its scroll id may expire before the next page is asked for)."""
        send = functools.partial(self.send_page, context, token)
        ahead = self.resources.ahead
        if not (self.sent_ahead and ahead.active):
            return send()
        report = self.report_key(context)
        key: PageKey = (*report, token)
        if not ahead.known(key):
            ahead.drop(report)  # what was asked for this report ahead is not what is wanted
            response = send()
        else:
            response = ahead.take(key, send)
            held = time.monotonic() - response.__dict__.get(ANSWERED_AT, time.monotonic())
            if token is None and held > SCROLL_HOLD_SECONDS:
                following, _ = self.next_page(response, token, 0)
                if following is not None and not ahead.sent((*report, following)):
                    ahead.drop(report)
                    response = send()
        ahead.resume()
        return response

    def send_next_ahead(
        self, context: Context | None, token: t.Any, seen: int, response: requests.Response
    ) -> int:
        """Ask for the page after ``response`` while it is read, unless it is asked for already
        (a worker that had this page asked for it); the items seen with this page."""
        following, seen_after = self.next_page(response, token, seen)
        ahead = self.resources.ahead
        if following is None or not (self.sent_ahead and ahead.active):
            return seen_after
        key: PageKey = (*self.report_key(context), following)
        if not ahead.known(key):
            prepared = self.next_request(response, context, following)
            job = functools.partial(self.fetch_ahead, context, following, seen_after, prepared)
            ahead.offer(key, job)
        return seen_after

    def next_page(self, response: requests.Response, token: t.Any, seen: int) -> tuple[t.Any, int]:
        """The token of the page after ``response`` (None: it is the last), as this stream's
        paginator will decide, and the items seen with it: a pure function of the answer (a
        worker asks it). Here: one page."""
        return None, seen

    def send_reports_ahead_of(self, context: Context) -> None:
        """Offer this stream's report of one webcast run (its first page) to the run's workers,
        when there is room and it is not asked for already."""
        ahead = self.resources.ahead
        key: PageKey = (*self.report_key(context), None)
        if ahead.known(key):
            return
        prepared = self.prepare_page(context, None)  # on the stream's thread
        ahead.offer(key, functools.partial(self.fetch_ahead, context, None, 0, prepared))

    def fetch_ahead(
        self,
        context: Context | None,
        token: t.Any,
        seen: int,
        prepared: requests.PreparedRequest,
    ) -> requests.Response:
        """One page sent ahead, on a worker (with its retries; its answer checked), and then the
        page after it, which only this answer can tell (a scroll id): asked for in turn, or left
        waiting for room."""
        response = self.sender(prepared)
        following, seen_after = self.next_page(response, token, seen)
        if following is not None and not self.resources.gate.closed:
            key: PageKey = (*self.report_key(context), following)
            prepared = self.next_request(response, context, following)
            job = functools.partial(self.fetch_ahead, context, following, seen_after, prepared)
            self.resources.ahead.follow(key, job)
        return response

    def next_request(
        self, response: requests.Response, context: Context | None, token: t.Any
    ) -> requests.PreparedRequest:
        """The request of the page of ``token`` after ``response``: a copy of the request that
        got ``response`` with the URL get_http_request gives for (context, token), pure
        functions of them, so that a worker may make it without the stream's state or its
        session. (Only GET reports are asked for ahead: their pages differ by URL alone.)"""
        if self.http_method != "GET":
            return self.prepare_page(context, token)
        request = self.get_http_request(page=PageContext(context, token))
        page = response.request.copy()
        page.prepare_url(request.url, request.encode_params())
        page.__dict__[CONTEXT] = context
        return page

    def send_page(self, context: Context | None, token: t.Any) -> requests.Response:
        """One page's request, prepared here (on the stream's thread) and sent with its
        retries."""
        return self.sender(self.prepare_page(context, token))

    def prepare_page(self, context: Context | None, token: t.Any) -> requests.PreparedRequest:
        """One page's request, the SDK's way (get_http_request, then build_prepared_request),
        carrying its context (so that its answer's messages name its own webcast)."""
        request = self.get_http_request(page=PageContext(context, token))
        kwargs: dict[str, t.Any] = {
            "method": request.method,
            "url": request.url,
            "params": request.encode_params(),
            "headers": request.headers,
        }
        kwargs["json" if self.payload_as_json else "data"] = request.data
        prepared = self.build_prepared_request(**kwargs)
        prepared.__dict__[CONTEXT] = context
        return prepared

    @cached_property
    def proxies(self) -> dict[str, str]:
        """The proxies of the environment for the API's host (HTTPS_PROXY, NO_PROXY...), read
        once: requests would read the environment again for every request."""
        if not self.requests_session.trust_env:
            return dict(self.requests_session.proxies)
        found = requests.utils.get_environ_proxies(self.url_base)
        return {**found, **self.requests_session.proxies}

    @cached_property
    def sender(self) -> Callable[[requests.PreparedRequest], requests.Response]:
        """``send`` within the retry contract (request_decorator)."""
        return self.request_decorator(self.send)

    def send(self, prepared: requests.PreparedRequest) -> requests.Response:
        """One try: the session applied, sent, its duration logged, its answer checked."""
        response = self.requests_session.send(
            self.authenticator(prepared),
            timeout=self.timeout,
            allow_redirects=self.allow_redirects,
            proxies=self.proxies,
        )
        response.__dict__[ANSWERED_AT] = time.monotonic()
        log_request_duration(self, response, prepared.__dict__.get(CONTEXT))
        self.validate_response(response)
        return response

    # Records -----------------------------------------------------------------------------------
    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> Iterable[Context | None]:
        # No stream hangs from the report streams: the SDK's default makes (and copies) a child
        # context for every record all the same. (WebcastsStream, the parent, has its own.)
        return ()

    @cached_property
    def writes_lines_directly(self) -> bool:
        return self.record_lines.applies()

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        # SDK 0.54's private per-record writer: the one private override of this tap
        # (messages.py says when the line is written directly, and why); guarded by
        # tests/project/test_record_lines.py.
        if self.writes_lines_directly:
            self.record_lines.write(record)
            self.state_manager.is_flushed = False
        else:
            super()._write_record_message(record)

    def normalize(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        if not record.keys() <= self.declared_fields:
            self.drop_undeclared(record)
        if not self.datetimes_canonical(record):
            self.normalize_datetimes(record)
        return record

    @cached_property
    def datetimes_canonical(self) -> Callable[[dict[str, t.Any]], bool]:
        """Whether every date-time field of a record is there and in the one spelling already
        (nearly every record: then normalize_datetimes would change nothing), in one match."""
        return all_canonical(self.datetime_fields)

    def normalize_datetimes(self, record: dict[str, t.Any]) -> None:
        """Each date-time field in the one spelling (UTC ``...Z``); the general rule."""
        for name in self.datetime_fields:
            value = record.get(name)
            if isinstance(value, str) and value and not is_canonical(value):
                # (A value in the one spelling already stays as it is.)
                self.normalize_datetime(record, name, value)

    def normalize_datetime(self, record: dict[str, t.Any], name: str, value: str) -> None:
        """One date-time field rewritten in the one spelling (a warning when it is not one)."""
        try:
            record[name] = canonical_utc(value)
        except ValueError:
            self.logger.warning("%s: %s is not a date-time: %r", self.name, name, value)
            return
        if not has_zone(value):
            self.normalize_zone_warning(name, value)

    def drop_undeclared(self, record: dict[str, t.Any]) -> None:
        """The fields the schema does not declare, left out (said once per field)."""
        undeclared = record.keys() - self.declared_fields
        if undeclared:
            for name in undeclared:
                del record[name]
            if new := undeclared - self.undeclared_seen:
                self.undeclared_seen.update(new)
                self.logger.warning(
                    "%s: Rev sent fields the schema does not declare, left out: %s",
                    self.name,
                    ", ".join(sorted(new)),
                )

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        for record in self.records_of(decoded(response, rev_json)):
            yield self.normalize(record)

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        """The records in a decoded answer whose shape validate_response has checked (the JSON
        path of each stream, without jsonpath): here the JSON array itself."""
        return t.cast("list[dict]", payload)

    def normalize_zone_warning(self, name: str, value: str) -> None:
        """One warning per field when Rev sends a date-time without a zone (read as UTC)."""
        if name not in self.zoneless_seen:
            self.zoneless_seen.add(name)
            self.logger.warning(
                "%s: %s has no time zone (%r): read as UTC, as Rev's OpenAPI date-times are",
                self.name,
                name,
                value,
            )

    @cached_property
    def zoneless_seen(self) -> set[str]:
        return set()


class ScrollRule(t.Protocol):
    """A scroll's paginator as the stream uses it: what it counted (``seen``, ``total``) and,
    for a page sent ahead, which page follows an answer."""

    seen: int
    total: int | None

    def next_token(
        self, response: requests.Response, token: t.Any, seen: int
    ) -> tuple[t.Any, int]: ...


class ScrollStream(VbrickStream):
    """A scrolled listing that, when its scroll expires or is lost, starts over once and skips
    what it already emitted (``record_key``)."""

    items_key: str
    total_key: str
    scrolls = True
    #: Whether the items seen must reach the total the answers announce (a report that is final:
    #: a scroll ending short of it is a failure, never fewer records in silence).
    counts_must_match: t.ClassVar[bool] = False
    #: The paginator of the scroll under way (get_new_paginator).
    scroll: ScrollRule | None = None

    def record_key(self, record: dict[str, t.Any]) -> object:
        raise NotImplementedError

    def scroll_description(self, context: Context | None) -> str:
        return self.name

    def new_scroll(self) -> ScrollRule:
        """A fresh paginator of this stream's scroll (streams.py: pagination.ScrollPaginator)."""
        raise NotImplementedError

    def get_new_paginator(self) -> BaseAPIPaginator:
        self.scroll = self.new_scroll()
        return t.cast("BaseAPIPaginator", self.scroll)

    @cached_property
    def scroll_rule(self) -> ScrollRule:
        """A paginator of this stream's scroll asked only which page follows an answer
        (``next_token``, free of side effects): the rule of the scroll's own paginator."""
        return self.new_scroll()

    def next_page(self, response: requests.Response, token: t.Any, seen: int) -> tuple[t.Any, int]:
        return self.scroll_rule.next_token(response, token, seen)

    def request_records(self, context: Context | None) -> Iterable[dict]:
        emitted: set[object] = set()
        key_of, emit = self.record_key, emitted.add
        for attempt in (1, 2):
            try:
                for record in super().request_records(context):
                    key = key_of(record)
                    if key is None:  # validate_response checks keys: a guard, never a dedupe
                        raise self.failure(f"{self.name}: a record{self.where(context)} has no key")
                    if key in emitted:
                        continue
                    emit(key)
                    yield record
                self.check_count(context)
                return
            except ScrollExpiredError as exc:
                where = self.scroll_description(context)
                if attempt == 2:
                    raise self.scroll_failed_twice(where, exc) from exc
                self.logger.warning(
                    "The scroll of %s expired after %d records: starting over once, skipping "
                    "those already emitted",
                    where,
                    len(emitted),
                )

    def scroll_failed_twice(self, where: str, exc: ScrollExpiredError) -> FatalAPIError:
        if self.skip_unavailable_webcasts:
            return ReportFailedError(f"The scroll of {where} expired twice ({exc})")
        return FatalAPIError(
            f"The scroll of {where} expired twice ({exc}); the sync stops here with its state "
            "saved: run it again"
        )

    def check_count(self, context: Context | None) -> None:
        scroll = self.scroll
        if not self.counts_must_match or scroll is None or scroll.total is None:
            return
        if scroll.seen < scroll.total:
            raise self.failure(
                f"The scroll of {self.scroll_description(context)} ended after {scroll.seen} of "
                f"the {scroll.total} records Rev announced"
            )

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        items = payload.get(self.items_key) if isinstance(payload, dict) else None
        return items if isinstance(items, list) else []

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        """An object with the ``items_key`` array (Rev may leave it out when its total is 0)."""
        expected = f"an object with a {self.items_key!r} array"
        if not isinstance(payload, dict):
            return expected
        items = payload.get(self.items_key)
        if items is None and payload.get(self.total_key) == 0:
            return None  # nothing to list: Rev may leave the array out
        if not isinstance(items, list):
            return expected
        return self.keyless(items)


def carries_scroll_id(request: requests.PreparedRequest | None) -> bool:
    """Whether a request continued a scroll (a ``scrollId`` in its query or its JSON body)."""
    if request is None:
        return False
    if "scrollId=" in urlsplit(request.url or "").query:
        return True
    body = request.body
    if isinstance(body, bytes | str) and b"scrollId" in (
        body if isinstance(body, bytes) else body.encode()
    ):
        try:
            return bool(msgspec.json.decode(body).get("scrollId"))
        except (msgspec.DecodeError, AttributeError):
            return False
    return False


def ending_on_error(records: Iterable[T], resources: RunResources) -> Iterator[T]:
    """``records``; when an error ends the sync there (it propagates: an error, a signal), the
    requests sent ahead stop trying first, instead of going on for nobody."""
    try:
        yield from records
    except GeneratorExit:  # the reader stopped reading: not an end of the sync by itself
        raise
    except BaseException:
        resources.close()
        raise


def context_of(response: requests.Response) -> Context | None:
    """The context (webcast and run) of the request that got ``response``."""
    request = response.request
    return request.__dict__.get(CONTEXT) if request is not None else None


#: The kind of the real-time attendees call at the run's gate: not a POST of Rev's POST limit,
#: but a limit of its own (2 a minute), kept by the run's real-time pacer.
REALTIME_KIND = "realtime"


def throttled(failure: t.Any) -> bool:
    """Whether a failed try was the API throttling the tap (HTTP 429)."""
    response = getattr(failure, "response", None)
    return response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS


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
        if response.status_code < 400
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


# -- one response decoded once ------------------------------------------------------------------

_DECODED = "_rev_payload"


def decoded(response: requests.Response, decode: Callable[[bytes], t.Any]) -> t.Any:
    """The response's body decoded once and kept on the response: validate_response decodes it
    (where a broken body is still retriable), the paginator and parse_response reuse it."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = decode(response.content)
    return response.__dict__[_DECODED]


def rev_json(content: bytes) -> t.Any:
    """Rev's JSON (None for an empty body); msgspec.DecodeError if it is not JSON."""
    return msgspec.json.decode(content) if content.strip() else None
