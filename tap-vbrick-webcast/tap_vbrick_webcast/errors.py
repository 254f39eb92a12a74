"""The tap's own exceptions: what ended a sync, what made it skip a webcast's report, and what
the retry contract retries."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


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


class LoginRefusedError(FatalAPIError):
    """Rev refused the credentials. Never retried: repeated failed logins lock the user out."""


class ReportUnavailableError(FatalAPIError):
    """Rev answered 400/403/404 for one webcast's report: that report is skipped."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ScrollExpiredError(FatalAPIError):
    """A scroll id expired (Rev: 408) before the next page was asked for."""


class OwedItemsError(FatalAPIError):
    """fail_on_owed: the sync ends non-zero because items are owed (its state is written)."""
