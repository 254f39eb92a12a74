"""The tap's exceptions (exceptions only: the return-code table is return_codes.py)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class WebcastsAPIError(FatalAPIError):
    """A failure the sync cannot go on past: names the call, the event and the code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class LoginError(WebcastsAPIError):
    """The login was refused or could not be made."""


class EventNotAuthorizedError(WebcastsAPIError):
    """returnCode 10: this event is skipped with a warning."""


class InvalidSessionError(WebcastsAPIError):
    """returnCode 11 right after a new login (the first 11 is a RetryAtOnceError)."""


class QuotaReachedError(WebcastsAPIError):
    """returnCode 61/62, or the tap's own count: wait within the hour or end cleanly."""


class ServiceUnavailableError(RetriableAPIError):
    """returnCode 50/60: retried within the retry budget."""


class BrokenReportError(RetriableAPIError):
    """The report ended before its last element (a cut connection): fetched again."""


class UnreadableReportError(WebcastsAPIError):
    """A report broken in a way no repair settles: the event is skipped with an error."""


class NoAnswerError(RetriableAPIError):
    """The API gave no usable answer: no connection, no answer in time, or an answer cut off.
    Retried like a 5xx. The message names the method, host and path, never the query."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class RetryAtOnceError(RetriableAPIError):
    """Credentials were renewed after the API refused them: ask again without waiting."""


class RetriesExhaustedError(FatalAPIError):
    """A request still failed when its retry budget (retry_budget_seconds) was spent;
    ``failure`` is its last failure."""

    def __init__(self, message: str, failure: Exception | None = None) -> None:
        super().__init__(message)
        self.failure = failure


class OwedItemsError(FatalAPIError):
    """fail_on_owed: the sync ends non-zero because items are owed (its state is written)."""
