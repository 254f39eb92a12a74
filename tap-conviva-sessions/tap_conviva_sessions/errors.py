"""What can go wrong with a Conviva answer, each with a message that says what to do."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class CredentialsRefusedError(FatalAPIError):
    """HTTP 401: the client id and secret were refused."""


class TimeRangeRejectedError(FatalAPIError):
    """HTTP 422: the time range broke a documented limit (3 hours, 31 days)."""


class ResponseTooLargeError(FatalAPIError):
    """HTTP 413 where nothing smaller can be asked: outside the window walk, or for one session
    of a one-minute window (the window paginator splits windows and halves the limit before)."""
