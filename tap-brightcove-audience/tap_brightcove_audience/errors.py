"""The tap's own exceptions (the messages are made where the failure is seen: client.py for the
API's answers, auth.py for the token endpoint's)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class PaginationError(FatalAPIError):
    """The API's pages do not add up (a page repeated, longer than the limit, past ``count``,
    more pages than ``count`` allows, records out of the requested order): the account is
    skipped for the stream and owed, rather than looping or emitting records twice."""


class PermanentAnswerError(FatalAPIError):
    """An answer about one account that the API's docs call permanent (400
    BAD_REQUEST_ERROR "Query parameters are invalid", 404 RESOURCE_NOT_FOUND "The URL does not
    exist"): the account is skipped for the stream with a warning and not owed."""


class AccountAnswerError(FatalAPIError):
    """An answer about one account that asking again in this sync would not change, and that
    the docs do not call permanent (the account refused to a new token, another 4xx, records
    that do not match the query): the account is skipped for the stream and owed."""


class UnreadableStreamError(FatalAPIError):
    """Every account of a stream was refused or answered permanently: the settings are wrong
    for the whole stream, not for one account, so the sync ends (its state written first)."""


class ApiUnavailableError(RetriableAPIError):
    """The API as a whole cannot answer now (a tap's own signal of it): retried like a 5xx, and
    when it lasts the sync ends: no item is owed for it (owed_reason)."""


class NoAnswerError(RetriableAPIError):
    """The API gave no usable answer: no connection, no answer in time, or an answer cut off.
    Retried like a 5xx. The message names the method, host and path, never the query."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class TokenAnswerError(RetriableAPIError):
    """The OAuth token endpoint answered 429, a 5xx, or without a token: retried inside the
    request that needed the token; when its budget is spent the whole sync ends (it is no
    account's fault, so no account is owed)."""


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
