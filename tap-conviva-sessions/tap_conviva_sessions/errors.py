"""What can go wrong with a Conviva answer, each with a message that says what to do."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class CredentialsRefusedError(FatalAPIError):
    """HTTP 401: the client id and secret were refused."""


class TimeRangeRejectedError(FatalAPIError):
    """HTTP 422: the time range broke a documented limit (3 hours, 31 days)."""


class ResponseTooLargeError(FatalAPIError):
    """HTTP 413: the answer would be too large; the window walk splits the window."""
