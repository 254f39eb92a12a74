"""The base stream of every webcasts.com call: URL, login session, return codes, retries and
redaction; and the run's shared objects (RunResources). Success is returnCode 1 in the body
whatever the HTTP status."""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field

import backoff
import requests
from lxml import etree
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.errors import InvalidSessionError
from tap_webcast_reporting.parsing import safe_xml_parser
from tap_webcast_reporting.parsing.body import CHUNK, ReportBody
from tap_webcast_reporting.quota import ReportQuota
from tap_webcast_reporting.redaction import redact
from tap_webcast_reporting.return_codes import INVALID_SESSION, error_for, return_code
from tap_webcast_reporting.spool import ReportSpool

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


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


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    session: WebcastsSession  # the login's session id and user id
    quota: ReportQuota  # the hourly report quotas, counted before asking
    spool: ReportSpool  # one report's records, for the report streams to read back
    timezones: TimezoneCheck
    events_left: list[str] = field(default_factory=list)  # not reported: quota ended the run


class WebcastsStream(RESTStream[t.Any]):
    """A webcasts.com call; subclasses say which URL and what the answer holds."""

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        # True between a returnCode 11 (the session was dropped for a new login) and the next
        # answer: a second 11 in a row is an error, and the repeated call is not a new report.
        self.renewed_session = False

    @property
    def url_base(self) -> str:
        return str(self.config["reporting_url"]).rstrip("/")

    @property
    def authenticator(self) -> WebcastsSession:
        return self.resources.session

    def get_url_params(
        self, context: Context | None, next_page_token: t.Any | None
    ) -> dict[str, t.Any]:
        return {names.VERSION: names.API_VERSION}

    def what(self, context: Context | None) -> str:
        """The call and event an error message names."""
        event = (context or {}).get("event_id")
        return f"{self.name} call" + (f" for event {event}" if event else "")

    # Errors and retries -------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if response.status_code >= 400:
            raise FatalAPIError(self.response_error_message(response))
        code = return_code(self.response_head(response))
        if code != INVALID_SESSION:
            self.renewed_session = False
        if code is not None and code != 1:
            raise error_for(code, self.what(self.context))

    def response_head(self, response: requests.Response) -> bytes:
        """The first bytes of the answer (the whole answer for the small calls)."""
        return response.content[:4096]

    def response_error_message(self, response: requests.Response) -> str:
        """The SDK's message printed the URL and body; this one names only the call."""
        return redact(
            f"{self.what(self.context)}: HTTP {response.status_code} {response.reason}",
            self.authenticator.secrets,
        )

    def backoff_wait_generator(self) -> Generator[float, None, None]:
        return backoff.expo(
            base=2, factor=float(self.config.get("retry_initial_wait_seconds", 5)), max_value=120
        )

    def backoff_max_tries(self) -> int:
        return int(self.config.get("retry_max_tries", 5))

    def backoff_handler(self, details: t.Any) -> None:
        exc = details.get("exception")
        self.logger.warning(
            "%s failed (%s); try %d, next in %.1f s",
            self.what(self.context),
            redact(str(exc), self.authenticator.secrets),
            details.get("tries", 0),
            details.get("wait", 0.0),
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retry, logging through our redacting handler only; on returnCode 11 a new
        login and one more call; no URL in any exception."""
        retried = backoff.on_exception(
            self.backoff_wait_generator,
            (
                ConnectionResetError,
                RetriableAPIError,
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=None,
            logger=None,
        )(func)

        def request(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                try:
                    return retried(*args, **kwargs)
                except InvalidSessionError:
                    self.logger.warning(
                        "%s: %s; logging in again", self.what(self.context), "session refused"
                    )
                    self.authenticator.invalidate()
                    self.renewed_session = True
                    try:
                        return retried(*args, **kwargs)
                    except InvalidSessionError as exc:
                        raise FatalAPIError(f"{exc} right after a new login") from None
            except requests.RequestException as exc:
                raise type(exc)(redact(str(exc), self.authenticator.secrets)) from None

        return request


class XmlListStream(WebcastsStream):
    """A small XML answer (time zones, event list) parsed whole with the safe parser."""

    record_element: str

    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        try:
            decoded(response, parse_xml)
        except etree.XMLSyntaxError as exc:
            # A cut or garbled answer: asking again costs no report quota.
            raise RetriableAPIError(
                f"{self.what(self.context)}: the answer is not well-formed XML ({exc.msg})"
            ) from None

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        root = decoded(response, parse_xml)
        for element in root.iter(self.record_element):
            yield self.record_of(element)

    def record_of(self, element: t.Any) -> dict[str, t.Any]:
        raise NotImplementedError


def parse_xml(content: bytes) -> t.Any:
    return etree.fromstring(content, safe_xml_parser())


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
