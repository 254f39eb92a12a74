"""The base stream: Conviva's URL, HTTP Basic auth, error handling and retries; the objects one
run of the tap shares across its streams (RunResources)."""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import msgspec
import requests
from singer_sdk.authenticators import BasicAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.streams import RESTStream

from tap_conviva_sessions.auth import basic_auth
from tap_conviva_sessions.errors import (
    CredentialsRefusedError,
    ResponseTooLargeError,
    TimeRangeRejectedError,
)

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

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

    def listed(self, answer: t.Any) -> None:
        """Keep the paths of a discovery answer (its shape is not published: an endpoint
        counts as open when its path appears anywhere in it)."""
        self.asked = True
        self.paths = frozenset(urlsplit(s).path.rstrip("/") for s in strings(answer) if "/" in s)

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

    #: The discovery endpoint's answer (one request per run).
    endpoints: OpenEndpoints
    #: The Tap's public state_writer: the sample streams write STATE after each window.
    state_writer: StateSink


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

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources

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
        self.check_answer(response)

    def check_answer(self, response: requests.Response) -> None:
        """Every answer of the API: an error with a message that says what to do, retriable
        where waiting may help; else its body must be JSON (decoded here, once)."""
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
            json_body(response)
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
        yield from extract_jsonpath(self.records_jsonpath, input=json_body(response))

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

    # The discovery endpoint -----------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, context: Context | None) -> requests.Response:
        """One try of a request outside the stream's own pages, sent and checked as the SDK
        sends the stream's: authenticated, with the stream's timeout, the answer checked."""
        response = self.requests_session.send(
            self.authenticator(request), timeout=self.timeout, allow_redirects=self.allow_redirects
        )
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
            try:
                endpoints.listed(json_body(self.request_decorator(self.send)(request, None)))
            except CredentialsRefusedError:
                raise
            except FatalAPIError as exc:
                self.logger.warning(
                    "Could not read the discovery endpoint (%s); assuming every session "
                    "endpoint is open",
                    exc,
                )
                endpoints.unknown()
        return endpoints.is_open(self.discovery_path or str(self.path))
