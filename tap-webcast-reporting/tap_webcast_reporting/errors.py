"""The tap's exceptions (exceptions only: the return-code table is return_codes.py)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class ApiUnavailableError(RetriableAPIError):
    """The API as a whole cannot answer now (a tap's own signal of it): retried like a 5xx, and
    when it lasts the sync ends: no item is owed for it (owed_reason)."""


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


class ServiceUnavailableError(ApiUnavailableError):
    """returnCode 50/60: retried within the retry budget."""


class BrokenReportError(RetriableAPIError):
    """The report ended before its last element (a cut connection): fetched again."""


class UnreadableReportError(WebcastsAPIError):
    """A report broken in a way no repair settles, or whose times cannot be converted without
    a guess: asking again would give the same answer, so the event is owed at once."""


class UnexpectedAnswerError(RetriableAPIError):
    """A well-formed answer that is not the documented shape (no returnCode, an HTML page, a
    report without its viewers or rows, an event list without events but with other elements):
    asked again within the retry budget; then the event is owed (a report) or the sync ends
    (a list), never an empty success."""


class LoginUnavailableError(ApiUnavailableError):
    """The login could not be made now (429, 5xx, an answer that is not the login's XML):
    retried; a failure of the whole API, so no event is owed for it."""


class ReportParametersError(WebcastsAPIError):
    """The report says it applied other filters or another date range than the tap asked for:
    the API does not know a parameter by the name the tap assumed. The sync stops."""


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
