"""What the streams share: the run's resources (RunResources), the pacer, the base Rev stream
(URL, session, Rev's errors, retries with Retry-After, scrolls) and decoded(), the one way a
response's body is decoded once."""

from __future__ import annotations

import email.utils
import itertools
import logging
import random
import re
import threading
import time
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream

from tap_vbrick_webcast.auth import RevSessionAuthenticator
from tap_vbrick_webcast.errors import (
    ApiUnavailableError,
    NoAnswerError,
    ReportFailedError,
    ReportUnavailableError,
    RetriesExhaustedError,
    RetryAtOnceError,
    ScrollExpiredError,
)
from tap_vbrick_webcast.owed import OwedItems, OwedLedger
from tap_vbrick_webcast.values import canonical_utc, has_zone

if t.TYPE_CHECKING:
    import logging

    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_vbrick_webcast.summaries import ReportSummaries

#: A report answered these is permanently unavailable (Vbrick's docs): skipped, not owed.
PERMANENT_STATUSES = frozenset({403, 404})
SCROLL_EXPIRED = 408
#: Vbrick's pace for the real-time attendees call (its official client): 2 calls a minute.
REALTIME_CALLS_PER_SECOND = 2 / 60
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


class BackoffEcho(logging.Filter):
    """Leaves out the lines the backoff library logs by itself ("Backing off ...", "Giving up
    ..."): backoff_handler says each retry once, and RetriesExhaustedError says the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Backing off %s(", "Giving up %s("))


BACKOFF_ECHO = BackoffEcho()


class RequestPacer:
    """At most ``per_second`` requests a second, across every stream of one run (None: no
    pacing). Thread-safe, so that requests in flight at once share it."""

    def __init__(
        self,
        per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            self.sleep(start - now)


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

    #: Every try of every request waits its turn here (max_requests_per_second).
    pacer: RequestPacer
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


class VbrickStream(RESTStream[t.Any]):
    """Shared by every stream: Rev's URL, its session, its errors and its throttling."""

    # When False, a 4xx ends the sync; report streams skip that webcast instead (403/404
    # permanently, any other as an owed item).
    skip_unavailable_webcasts = False
    #: The field every record of an answer must carry (its key); None: the stream makes its own.
    record_key_field: t.ClassVar[str | None] = None
    #: Whether the stream scrolls (a 408, or a 400 to a scroll id, then restarts its scroll;
    #: elsewhere a 408 is a request timeout, retried).
    scrolls: t.ClassVar[bool] = False
    # Records are decoded JSON, so their values already have JSON types; `normalize` drops the
    # fields the schema does not declare and rewrites timestamps. The SDK's per-value
    # conformance would cost more than the rest of the tap together.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)

    def owed_items(self) -> OwedItems:
        """This stream's owed items (kept in its stream-level state entry)."""
        return self.resources.owed.of(self.name, self.get_context_state(None))

    def log_sync_costs(self) -> None:
        # SDK 0.54 calls this once per stream after the whole sync, every stream's state
        # written: the one public hook at the end of a sync, where the owed items are summed
        # up (and fail_on_owed ends the sync). tests/project/test_owed.py guards that order.
        super().log_sync_costs()
        self.resources.owed.stream_finished(self.name)

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
                f"{self.name}: Rev's answer{self.where()} is not {problem}", response
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
        not read this webcast (owed, never a new login); an invalid one is renewed once."""
        session = self.authenticator
        message = self.response_error_message(response)
        if not session.is_current(token):
            return RetryAtOnceError(message, response)  # another request renewed the session
        if session.session_valid(token):
            session.note_success(token)
            return self.failure(
                f"{message}: Rev confirms the session valid (GET /api/v2/user/session), so "
                "this Rev user may not read it"
            )
        if session.renew_after_unauthorized(token):
            return RetryAtOnceError(message, response)
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

    def where(self) -> str:
        if self.context and "eventId" in self.context:
            return f" for webcast {self.context['eventId']} run {self.context['runNumber']}"
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
            failure = yield wait

    def backoff_handler(self, details: Details) -> None:
        self.logger.warning(
            "%s: try %d failed (%s); trying again in %.1f s",
            self.name,
            details.get("tries", 0),
            details.get("exception"),
            details.get("wait", 0.0),
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retries around ``func``, inside the retry contract: each try waits its turn
        (max_requests_per_second), a network failure becomes a NoAnswerError (whose message holds
        no query), and a request that still fails when its budget is spent ends the sync with one
        error naming the API host and the setting."""

        def one_try(*args: t.Any, **kwargs: t.Any) -> t.Any:
            self.resources.pacer.wait()
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

    # Records -----------------------------------------------------------------------------------
    def normalize(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
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
        for name in self.datetime_fields:
            value = record.get(name)
            if isinstance(value, str) and value:
                try:
                    record[name] = canonical_utc(value)
                except ValueError:
                    self.logger.warning("%s: %s is not a date-time: %r", self.name, name, value)
                    continue
                if not has_zone(value):
                    self.normalize_zone_warning(name, value)
        return record

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


class Scroll(t.Protocol):
    """What a scroll's paginator counts: the items seen, and the total its answers announced."""

    seen: int
    total: int | None


class ScrollStream(VbrickStream):
    """A scrolled listing that, when its scroll expires or is lost, starts over once and skips
    what it already emitted (``record_key``)."""

    items_key: str
    total_key: str
    scrolls = True
    #: Whether the items seen must reach the total the answers announce (a report that is final:
    #: a scroll ending short of it is a failure, never fewer records in silence).
    counts_must_match: t.ClassVar[bool] = False
    #: The paginator of the scroll under way (streams set it in get_new_paginator).
    scroll: Scroll | None = None

    def record_key(self, record: dict[str, t.Any]) -> object:
        raise NotImplementedError

    def scroll_description(self, context: Context | None) -> str:
        return self.name

    def request_records(self, context: Context | None) -> Iterable[dict]:
        emitted: set[object] = set()
        for attempt in (1, 2):
            try:
                for record in super().request_records(context):
                    key = self.record_key(record)
                    if key is None:  # validate_response checks keys: a guard, never a dedupe
                        raise self.failure(f"{self.name}: a record{self.where()} has no key")
                    if key in emitted:
                        continue
                    emitted.add(key)
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
