"""The base stream: Conviva's URL, HTTP Basic auth, error handling and retries."""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Generator, Iterable
from functools import cached_property
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from weakref import WeakKeyDictionary

import msgspec
import requests
from singer_sdk.authenticators import BasicAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.streams import RESTStream

from tap_conviva_sessions.errors import (
    CredentialsRefusedError,
    ResponseTooLargeError,
    TimeRangeRejectedError,
)

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.helpers.types import Context
    from singer_sdk.tap_base import Tap

#: The discovery endpoint (relative to api_url): lists the session endpoints the account may use.
DISCOVERY_PATH = "/sessions"
#: Query parameters that carry the time range, named in a 422 message.
RANGE_PARAMS = (
    "start_date",
    "end_date",
    "start_epoch",
    "end_epoch",
    "start_epoch_ms",
    "end_epoch_ms",
)

# Session endpoints the account may use, per tap run (one discovery request per run).
_open_paths: WeakKeyDictionary[Tap, frozenset[str] | None] = WeakKeyDictionary()


def _strings(value: t.Any) -> Iterable[str]:
    """Every string anywhere in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def api_message(response: requests.Response) -> str:
    """The API's own words (``{"message": ...}``), or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200].strip()


class ConvivaStream(RESTStream[t.Any]):
    """A Conviva Insights 3.0 endpoint."""

    #: Waits between retries of 429 and 5xx answers when no Retry-After is given: the budget
    #: is 3000 requests per 5 minutes, so the waits add up to more than 5 minutes.
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 60.0
    retry_max_tries: int = 10

    records_jsonpath = "$.sessions[*]"
    #: The path the discovery endpoint must list for this stream to run (default: its own).
    discovery_path: str | None = None
    #: The last validated response and its decoded body (so the body is decoded once).
    _decoded: tuple[requests.Response, t.Any] | None = None

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @cached_property
    def authenticator(self) -> BasicAuthenticator:
        return BasicAuthenticator(
            username=self.config["client_id"], password=self.config["client_secret"]
        )

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    # Answers ------------------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
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
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            raise TimeRangeRejectedError(
                f"Conviva rejected the time range {self._range_of(response)} on {self.path} "
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
            self._decoded = (response, msgspec.json.decode(response.content))
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
    def _range_of(response: requests.Response) -> str:
        query = parse_qs(urlsplit(response.request.url or "").query)
        parts = [f"{name}={query[name][0]}" for name in RANGE_PARAMS if name in query]
        return " ".join(parts) or "(none given)"

    def decoded(self, response: requests.Response) -> t.Any:
        """The JSON document of a response (decoded once, when it was validated)."""
        if self._decoded is not None and self._decoded[0] is response:
            return self._decoded[1]
        return msgspec.json.decode(response.content)

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        yield from extract_jsonpath(self.records_jsonpath, input=self.decoded(response))

    # Retries ------------------------------------------------------------------------------

    def backoff_max_tries(self) -> int:
        return self.retry_max_tries

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """Retry-After when the API sends one, else exponential waits."""
        attempt = 0
        exception = yield 0.0  # backoff primes the generator with send(None)
        while True:
            wait = min(self.retry_max_seconds, self.retry_base_seconds * 2**attempt)
            response = getattr(exception, "response", None)
            if response is not None:
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.strip().isdigit():
                    wait = float(retry_after)
            attempt += 1
            exception = yield wait

    def backoff_handler(self, details: Details) -> None:
        exception = details.get("exception")
        self.log(
            "Retry %d of %d in %.1f s after: %s",
            details.get("tries", 0),
            self.retry_max_tries - 1,
            details.get("wait", 0.0),
            exception if isinstance(exception, RetriableAPIError) else type(exception).__name__,
            level=logging.WARNING,
        )

    # Requests outside the stream's own path --------------------------------------------------

    def get_json(self, path: str, params: dict[str, t.Any], context: Context | None) -> t.Any:
        """One GET on ``api_url + path`` through the SDK's request, validation and retries."""
        prepared = self.build_prepared_request(
            method="GET", url=self.url_base + path, params=params, headers=self.http_headers
        )
        response = self.request_decorator(self._request)(prepared, context)
        return self.decoded(response)

    def endpoint_is_open(self, context: Context | None = None) -> bool:
        """Whether the discovery endpoint lists this stream's path for the account."""
        if self._tap not in _open_paths:
            try:
                answer = self.get_json(DISCOVERY_PATH, {}, context)
                paths = frozenset(
                    urlsplit(s).path.rstrip("/") for s in _strings(answer) if "/" in s
                )
            except CredentialsRefusedError:
                raise
            except FatalAPIError as exc:
                self.logger.warning(
                    "Could not read the discovery endpoint (%s); assuming every session "
                    "endpoint is open",
                    exc,
                )
                paths = None
            _open_paths[self._tap] = paths
        paths = _open_paths[self._tap]
        wanted = self.discovery_path or str(self.path)
        return paths is None or any(p.endswith(wanted) for p in paths)
