"""What the streams share: the run's resources (RunResources), the pacer, the base Rev stream
(URL, session, Rev's errors, retries with Retry-After, scrolls) and decoded(), the one way a
response's body is decoded once."""

from __future__ import annotations

import random
import threading
import time
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream

from tap_vbrick_webcast.auth import RevSessionAuthenticator
from tap_vbrick_webcast.errors import ReportUnavailableError, ScrollExpiredError
from tap_vbrick_webcast.values import canonical_utc

if t.TYPE_CHECKING:
    import logging

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_vbrick_webcast.summaries import ReportSummaries

SKIPPABLE_STATUSES = frozenset({400, 403, 404})
SCROLL_EXPIRED = 408
#: Vbrick's pace for the real-time attendees call (its official client): 2 calls a minute.
REALTIME_CALLS_PER_SECOND = 2 / 60


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

    #: The one Rev session of the run (every request carries its token).
    session: RevSessionAuthenticator
    #: Vbrick's pace for real-time attendees (REALTIME_CALLS_PER_SECOND), across webcasts.
    realtime_pacer: RequestPacer
    #: The post-event report's totals, from the sessions stream to the summary stream.
    report_summaries: ReportSummaries
    #: "Now" for the whole sync (UTC, ``...Z``): the search window's end, what is still open.
    sync_started_at: str


class VbrickStream(RESTStream[t.Any]):
    """Shared by every stream: Rev's URL, its session, its errors and its throttling."""

    # Retry waits: exponential from `retry_base_seconds` up to `retry_max_seconds`, or the
    # Retry-After Rev sends (up to `retry_after_max_seconds`). Tests shrink these.
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 60.0
    retry_after_max_seconds: float = 300.0
    max_tries: int = 7
    # When False, 400/403/404 end the sync; report streams skip that webcast instead.
    skip_unavailable_webcasts = False
    # Records are decoded JSON, so their values already have JSON types; `normalize` drops the
    # fields the schema does not declare and rewrites timestamps. The SDK's per-value
    # conformance would cost more than the rest of the tap together.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources

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
        # is sent (the SDK's send applies self.authenticator to each try), so a login that
        # answers 5xx is retried like any call.
        request = requests.Request(*args, **kwargs)
        request.headers.setdefault("User-Agent", self.user_agent)
        return self.requests_session.prepare_request(request)

    # Answers -----------------------------------------------------------------------------------
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        token = RevSessionAuthenticator.token_of(response.request)
        if status == HTTPStatus.UNAUTHORIZED:
            if self.authenticator.renew_after_unauthorized(token):
                raise RetriableAPIError(self.response_error_message(response), response)
            raise FatalAPIError(
                self.response_error_message(response)
                + ": a freshly renewed session was refused too; check that the Rev user may "
                "read webcast reports"
            )
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
                return
        message = self.response_error_message(response, status)
        if status == SCROLL_EXPIRED:
            raise ScrollExpiredError(message)
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= 500:
            raise RetriableAPIError(message, response)
        if status in SKIPPABLE_STATUSES and self.skip_unavailable_webcasts:
            raise ReportUnavailableError(message, status)
        raise FatalAPIError(message)

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

    # Retries -----------------------------------------------------------------------------------
    def backoff_max_tries(self) -> int:
        return self.max_tries

    def backoff_jitter(self, value: float) -> float:
        return value  # jitter is added to the exponential waits only, never to a Retry-After

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        exception = yield  # type: ignore[misc]  # backoff primes the generator with None
        attempt = 0
        while True:
            attempt += 1
            exception = yield self.seconds_before_retry(exception, attempt)

    def seconds_before_retry(self, exception: object, attempt: int) -> float:
        response = getattr(exception, "response", None)
        if isinstance(response, requests.Response):
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                return 0.0  # the session was renewed: ask again at once
            retry_after = retry_after_seconds(response)
            if retry_after is not None:
                return min(retry_after, self.retry_after_max_seconds)
        wait = min(self.retry_base_seconds * 2 ** (attempt - 1), self.retry_max_seconds)
        return wait * random.uniform(0.8, 1.2)

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
        return record

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        for record in self.records_of(decoded(response, rev_json)):
            yield self.normalize(record)

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        """The records in a decoded answer (the JSON path of each stream, without jsonpath):
        here a JSON array; an empty body is no records."""
        if payload is None:
            return []
        if isinstance(payload, list):
            return payload
        raise self.unexpected_answer("a JSON array")

    def unexpected_answer(self, expected: str) -> FatalAPIError:
        """A 200 answer of the wrong shape: a report is skipped, the webcast search stops."""
        where = ""
        if self.context and "eventId" in self.context:
            where = f" for webcast {self.context['eventId']} run {self.context['runNumber']}"
        message = f"{self.name}: Rev's answer{where} is not {expected}"
        if self.skip_unavailable_webcasts:
            return ReportUnavailableError(message, HTTPStatus.OK)
        return FatalAPIError(message)


class ScrollStream(VbrickStream):
    """A scrolled listing that, when its scroll expires, starts over once and skips what it
    already emitted (``record_key``)."""

    items_key: str
    total_key: str

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
                    if key in emitted:
                        continue
                    emitted.add(key)
                    yield record
                return
            except ScrollExpiredError as exc:
                where = self.scroll_description(context)
                if attempt == 2:
                    raise FatalAPIError(
                        f"The scroll of {where} expired twice ({exc}); the sync stops here with "
                        "its state saved: run it again"
                    ) from exc
                self.logger.warning(
                    "The scroll of %s expired after %d records: starting over once, skipping "
                    "those already emitted",
                    where,
                    len(emitted),
                )

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        if payload is None:
            return []
        items = payload.get(self.items_key) if isinstance(payload, dict) else None
        if isinstance(items, list):
            return items
        if isinstance(payload, dict) and items is None and not payload.get(self.total_key):
            return []  # nothing to list: Rev may leave the array out
        raise self.unexpected_answer(f"an object with a {self.items_key!r} array")


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


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
