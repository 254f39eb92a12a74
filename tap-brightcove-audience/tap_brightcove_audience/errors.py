"""The tap's own exceptions (the messages are made where the failure is seen: client.py for the
API's answers, auth.py for the token endpoint's)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class PaginationError(FatalAPIError):
    """The API's pages do not add up: stop rather than loop or emit records twice."""


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
