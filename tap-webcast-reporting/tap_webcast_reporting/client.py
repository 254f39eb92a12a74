"""The base stream of every webcasts.com call: URL, login session, return codes, retries and
redaction. Success is returnCode 1 in the body whatever the HTTP status."""

from __future__ import annotations

import re
import typing as t
from collections.abc import Generator

import backoff
import requests
from lxml import etree
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting.auth import WebcastsSession, safe_xml_parser
from tap_webcast_reporting.errors import InvalidSessionError, error_for
from tap_webcast_reporting.redaction import redact

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_webcast_reporting.tap import TapWebcastReporting

_XML_CODE = re.compile(rb"<returnCode>\s*(\d+)\s*</returnCode>")
_JSON_CODE = re.compile(rb'"returnCode"\s*:\s*"?(\d+)')
_CSV_ERROR = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\"?error\"?\s*,[^\n]*\n\s*\"?(\d+)", re.IGNORECASE)


def return_code(head: bytes) -> int | None:
    """The returnCode a body starts with (XML, JSON or a CSV ``error`` header), if any."""
    for pattern in (_XML_CODE, _JSON_CODE, _CSV_ERROR):
        match = pattern.search(head)
        if match:
            return int(match[1])
    return None


class WebcastsStream(RESTStream[t.Any]):
    """A webcasts.com call; subclasses say which URL and what the answer holds."""

    _LOG_REQUEST_METRIC_URLS = False  # URLs carry the session id
    _tap: TapWebcastReporting

    @property
    def url_base(self) -> str:
        return str(self.config["reporting_url"]).rstrip("/")

    @property
    def authenticator(self) -> WebcastsSession:
        return self._tap.webcasts_session

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

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send; on returnCode 11 log in again once; never let a URL into an exception."""
        try:
            try:
                return super()._request(prepared_request, context)
            except InvalidSessionError:
                self.logger.warning(
                    "%s: %s; logging in again", self.what(context), "session refused"
                )
                self.authenticator.invalidate()
                try:
                    return super()._request(prepared_request, context)
                except InvalidSessionError as exc:
                    raise FatalAPIError(f"{exc} right after a new login") from None
        except requests.RequestException as exc:
            raise type(exc)(redact(str(exc), self.authenticator.secrets)) from None

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

    def request_decorator(self, func: t.Any) -> t.Any:
        """The SDK's retry, logging through our redacting handler only."""
        return backoff.on_exception(
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


class XmlListStream(WebcastsStream):
    """A small XML answer (time zones, event list) parsed whole with the safe parser."""

    record_element: str

    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        try:
            etree.fromstring(response.content, safe_xml_parser())
        except etree.XMLSyntaxError as exc:
            # A cut or garbled answer: asking again costs no report quota.
            raise RetriableAPIError(
                f"{self.what(self.context)}: the answer is not well-formed XML ({exc.msg})"
            ) from None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        root = etree.fromstring(response.content, safe_xml_parser())
        for element in root.iter(self.record_element):
            yield self.record_of(element)

    def record_of(self, element: t.Any) -> dict[str, t.Any]:
        raise NotImplementedError
