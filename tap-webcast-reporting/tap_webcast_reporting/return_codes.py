"""The Reporting API's return codes and what the tap does with each (the page's table).

Success is returnCode 1 whatever the HTTP status; every other code comes back with HTTP 200."""

from __future__ import annotations

import re

from tap_webcast_reporting.errors import (
    EventNotAuthorizedError,
    InvalidSessionError,
    QuotaReachedError,
    ServiceUnavailableError,
    WebcastsAPIError,
)

SUCCESS = 1
INVALID_SESSION = 11
INVALID_DATA = 51  # "there was invalid data in the report": this event's report, owed
PER_EVENT_LIMIT = 61  # "the maximum number of reports ... for an event"
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


def describe(code: int) -> str:
    return f"returnCode {code} ({MEANINGS.get(code, 'undocumented code')})"


def error_for(code: int, what: str) -> Exception:
    """The exception for a failed call; ``what`` names the call and the event."""
    message = f"{what}: {describe(code)}"
    if code in RETRIABLE:
        return ServiceUnavailableError(message)
    if code == 10:
        return EventNotAuthorizedError(message, code)
    if code == INVALID_SESSION:
        return InvalidSessionError(message, code)
    if code in QUOTA:
        return QuotaReachedError(message, code)
    return WebcastsAPIError(message, code)
