"""The base stream of every webcasts.com call: URL, login session, return codes, the retry
contract and redaction; and the run's shared objects (RunResources). Success is returnCode 1 in
the body whatever the HTTP status."""

from __future__ import annotations

import email.utils
import itertools
import logging
import random
import re
import time
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from lxml import etree
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.concurrency import RequestGate, RunClosedError, unread
from tap_webcast_reporting.errors import (
    ApiUnavailableError,
    InvalidSessionError,
    NoAnswerError,
    RetriesExhaustedError,
    RetryAtOnceError,
    UnexpectedAnswerError,
)
from tap_webcast_reporting.owed import OwedItems, OwedLedger
from tap_webcast_reporting.parsing import safe_xml_parser
from tap_webcast_reporting.parsing.body import CHUNK, ReportBody
from tap_webcast_reporting.progress import CountsForProgress
from tap_webcast_reporting.quota import ReportQuota
from tap_webcast_reporting.redaction import redact
from tap_webcast_reporting.return_codes import INVALID_SESSION, SUCCESS, error_for, return_code
from tap_webcast_reporting.spool import ReportSpool

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

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


class TimezoneCheck:
    """The configured time zone must be one the API offers: asked once, through the
    ``timezones`` stream's public ``request_records``, before the first report."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        self.stream: RESTStream[t.Any] | None = None  # the timezones stream (set by the Tap)
        self.offered: set[str] | None = None

    def check(self) -> None:
        if self.offered is not None:
            return
        assert self.stream is not None, "the Tap hands the timezones stream to the check"
        self.offered = {r["timezone_id"] for r in self.stream.request_records(None)}
        if self.wanted not in self.offered:
            raise FatalAPIError(
                f"timezone {self.wanted!r} is not one of the {len(self.offered)} time zones the "
                "API offers (see the timezones stream): no report was asked for"
            )


class StateSink(t.Protocol):
    """What the Tap's public ``state_writer`` offers (its class is private to the SDK)."""

    def write_state(self, state: t.Any) -> None: ...


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    #: What every try of every request passes: max_requests_per_second, one request in flight
    #: (the API's rule: one report at a time), and the hold after a 429.
    gate: RequestGate
    #: The owed items of every stream, and the summary at the end of the sync.
    owed: OwedLedger
    #: The Tap's state_writer: event_reports writes a STATE after each event's report.
    state_writer: StateSink
    session: WebcastsSession  # the login's session id and user id
    quota: ReportQuota  # the hourly report quotas, counted before asking
    spool: ReportSpool  # one report's records, for the report streams to read back
    timezones: TimezoneCheck
    events_left: list[str] = field(default_factory=list)  # not reported: quota ended the run


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
    # The URL kept on the error has no query either (the reference kept the whole URL; here the
    # login's query holds the password): retries_exhausted needs only its host.
    return NoAnswerError(f"{where}: {what}", parts._replace(query="", fragment="").geturl())


class WebcastsStream(CountsForProgress, RESTStream[t.Any]):
    """A webcasts.com call; subclasses say which URL and what the answer holds."""

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)
        # True between a returnCode 11 (the session was dropped for a new login) and the next
        # answer: a second 11 in a row is an error, and the repeated call is not a new report.
        self.renewed_session = False

    @property
    def url_base(self) -> str:
        return str(self.config["reporting_url"]).rstrip("/")

    @property
    def authenticator(self) -> WebcastsSession:
        return self.resources.session

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

    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        # SDK 0.54 also authenticates while preparing, outside its retries: a token or login
        # call failing there ends the sync at once. Here credentials are applied only when the
        # request is sent (the SDK's send applies self.authenticator to each try), so they are
        # inside the retry contract like any call.
        request = requests.Request(*args, **kwargs)
        request.headers.setdefault("User-Agent", self.user_agent)
        return self.requests_session.prepare_request(request)

    def get_url_params(
        self, context: Context | None, next_page_token: t.Any | None
    ) -> dict[str, t.Any]:
        return {names.VERSION: names.API_VERSION}

    def what(self, context: Context | None) -> str:
        """The call and event an error message names."""
        event = (context or {}).get("event_id")
        return f"{self.name} call" + (f" for event {event}" if event else "")

    # Errors -------------------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if response.status_code >= 400:
            raise FatalAPIError(self.response_error_message(response))
        code = return_code(self.response_head(response))
        if code == INVALID_SESSION:
            self.session_refused()
        self.renewed_session = False
        if code is not None and code != SUCCESS:
            raise error_for(code, self.what(self.context))

    def session_refused(self) -> t.NoReturn:
        """returnCode 11: log in again and ask again at once; a second 11 in a row, right after
        that new login, is an error (never a loop of logins)."""
        failure = error_for(INVALID_SESSION, self.what(self.context))
        if self.renewed_session:
            self.renewed_session = False
            raise InvalidSessionError(f"{failure} right after a new login", INVALID_SESSION)
        self.renewed_session = True
        self.logger.warning("%s: session refused; logging in again", self.what(self.context))
        self.authenticator.invalidate()
        raise RetryAtOnceError(str(failure))

    def response_head(self, response: requests.Response) -> bytes:
        """The first bytes of the answer (the whole answer for the small calls)."""
        return response.content[:4096]

    def response_error_message(self, response: requests.Response) -> str:
        """The SDK's message printed the URL and body; this one names only the call."""
        return redact(
            f"{self.what(self.context)}: HTTP {response.status_code} {response.reason}",
            self.authenticator.secrets,
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
            # A request asked for ahead that nobody reads any more: it stops here, unsaid.
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


#: The elements around a list's items (what the page's answers hold besides them).
WRAPPERS = frozenset({"convey_api", "result", "returnCode", "currentDateTime", "currentTimeZone"})


class XmlListStream(WebcastsStream):
    """A small XML answer (time zones, event list) parsed whole with the safe parser."""

    record_element: str

    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        try:
            root = decoded(response, parse_xml)
        except etree.XMLSyntaxError as exc:
            # A cut or garbled answer: asking again costs no report quota.
            raise RetriableAPIError(
                f"{self.what(self.context)}: the answer is not well-formed XML ({exc.msg})"
            ) from None
        # No item, but elements the tap does not know: the items go by another name than the
        # one assumed (or this is not the list): an empty list would lose them all, silently.
        if next(root.iter(self.record_element), None) is None:
            unknown = sorted({str(e.tag) for e in root.iter() if e.tag not in WRAPPERS})
            if unknown:
                raise UnexpectedAnswerError(
                    f"{self.what(self.context)}: the answer holds no <{self.record_element}> but "
                    f"<{'>, <'.join(unknown[:5])}>: not the documented shape"
                )

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        root = decoded(response, parse_xml)
        for element in root.iter(self.record_element):
            yield self.record_of(element)

    def record_of(self, element: t.Any) -> dict[str, t.Any]:
        raise NotImplementedError


def parse_xml(content: bytes) -> t.Any:
    return etree.fromstring(content, safe_xml_parser())


def throttled(failure: t.Any) -> bool:
    """Whether a failed try was the API throttling the tap (HTTP 429)."""
    response = getattr(failure, "response", None)
    return response is not None and response.status_code == 429


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


# -- one response decoded once (the same way in all four taps) ---------------------------------

_DECODED = "_tap_webcast_reporting_body"


def decoded(response: requests.Response, decode: Callable[[bytes], t.Any]) -> t.Any:
    """The response's body decoded once and kept on the response: validate_response decodes it
    (where a broken body is still retriable), the paginator and parse_response reuse it."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = decode(response.content)
    return response.__dict__[_DECODED]


def report_body(response: requests.Response) -> ReportBody:
    """The streamed report's body, made once and kept on the response like :func:`decoded`
    (under the same name), but read as it arrives: ``decoded`` reads ``response.content``,
    which would hold the whole report in memory. validate_response reads its first bytes for
    the return code, the report's reader the rest."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = ReportBody(response.iter_content(CHUNK))
    return t.cast("ReportBody", response.__dict__[_DECODED])
