"""What can go wrong with a Conviva answer, each with a message that says what to do."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class CredentialsRefusedError(FatalAPIError):
    """HTTP 401: the client id and secret were refused."""


class EndpointRefusedError(FatalAPIError):
    """HTTP 403 on a session endpoint: the account may not use it (Ad Insights or the
    Viewer-Module API not enabled). The stream is skipped with a warning, not owed."""


class TimeRangeRejectedError(FatalAPIError):
    """HTTP 422: the time range broke a documented limit (3 hours, 31 days)."""


class ResponseTooLargeError(FatalAPIError):
    """HTTP 413 where nothing smaller can be asked: outside the window walk, or for one session
    of a one-minute window (the window paginator splits windows and halves the limit before)."""


# -- the retry contract (the same in the four taps of this repository) --------------------------


class ApiUnavailableError(RetriableAPIError):
    """The API as a whole cannot answer now (a tap's own signal of it): retried like a 5xx, and
    when it lasts the sync ends: no item is owed for it (owed_reason)."""


class NoAnswerError(RetriableAPIError):
    """The API gave no usable answer: no connection, no answer in time, or an answer cut off.
    Retried like a 5xx. The message names the method, host and path, never the query."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class RetryAtOnceError(RetriableAPIError):
    """Credentials were renewed after the API refused them: ask again without waiting.

    Kept so that the retry contract's code is the same in every tap: this tap sends HTTP Basic
    auth, which has nothing to renew, so nothing raises it here."""


class RetriesExhaustedError(FatalAPIError):
    """A request still failed when its retry budget (retry_budget_seconds) was spent;
    ``failure`` is its last failure."""

    def __init__(self, message: str, failure: Exception | None = None) -> None:
        super().__init__(message)
        self.failure = failure


class OwedItemsError(FatalAPIError):
    """fail_on_owed: the sync ends non-zero because items are owed (its state is written)."""
