"""The Reporting API's return codes and what the tap does with each (the page's table).

Success is returnCode 1 whatever the HTTP status; every other code comes back with HTTP 200."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

SUCCESS = 1
MEANINGS: dict[int, str] = {
    0: "general error",
    10: "not authorized to run a report on this event (check the event id)",
    11: "the user id or session id is invalid",
    50: "the reporting service is not available at this time",
    51: "there was invalid data in the report",
    60: "the reporting service is not available at this time",
    61: "the maximum number of reports for this event has been reached",
    62: "the maximum number of reports within one hour has been reached",
    70: "insecure tags in the input parameters",
    71: 'invalid version number (the tap sends "2.0")',
    72: "missing or invalid input parameters",
    73: "ambiguous platform",
    74: "the reporting resource requested could not be identified",
}
RETRIABLE = frozenset({50, 60})
QUOTA = frozenset({61, 62})


def describe(code: int) -> str:
    return f"returnCode {code} ({MEANINGS.get(code, 'undocumented code')})"


class WebcastsAPIError(FatalAPIError):
    """A failure the sync cannot go on past: names the call, the event and the code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class EventNotAuthorizedError(WebcastsAPIError):
    """returnCode 10: this event is skipped with a warning."""


class InvalidSessionError(WebcastsAPIError):
    """returnCode 11: log in again once."""


class QuotaReachedError(WebcastsAPIError):
    """returnCode 61/62, or the tap's own count: wait within the hour or end cleanly."""


class ServiceUnavailableError(RetriableAPIError):
    """returnCode 50/60: retried with backoff."""


class BrokenReportError(RetriableAPIError):
    """The report ended before its last element (a cut connection): fetched again."""


class UnreadableReportError(WebcastsAPIError):
    """A report broken in a way no repair settles: the event is skipped with an error."""


def error_for(code: int, what: str) -> Exception:
    """The exception for a failed call; ``what`` names the call and the event."""
    message = f"{what}: {describe(code)}"
    if code in RETRIABLE:
        return ServiceUnavailableError(message)
    if code == 10:
        return EventNotAuthorizedError(message, code)
    if code == 11:
        return InvalidSessionError(message, code)
    if code in QUOTA:
        return QuotaReachedError(message, code)
    return WebcastsAPIError(message, code)
