"""The tap's own exceptions: what ended a sync, what made it skip a webcast's report, and what
the retry contract retries."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


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
    """Credentials were renewed after the API refused them: ask again without waiting."""


class RetriesExhaustedError(FatalAPIError):
    """A request still failed when its retry budget (retry_budget_seconds) was spent;
    ``failure`` is its last failure."""

    def __init__(self, message: str, failure: Exception | None = None) -> None:
        super().__init__(message)
        self.failure = failure


class LoginRefusedError(FatalAPIError):
    """Rev refused the credentials. Never retried: repeated failed logins lock the user out."""


class SessionUnavailableError(RetriableAPIError):
    """The login, or the check of the session, got a retriable answer (429, 5xx, a cut or
    shapeless body). Retried like any call; when its budget is spent the sync ends, since no
    request can be made without a session (it is never a reason to owe one webcast's report)."""


class ReportUnavailableError(FatalAPIError):
    """Rev answered 403 or 404 for one webcast's report: permanent (the docs), so that report is
    skipped with a warning and not owed."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ReportFailedError(FatalAPIError):
    """An answer about one webcast's report that makes it owed: a 400, a 401 to a session Rev
    confirms valid (the user may not read it), a scroll lost twice, a count that does not add
    up, or comments that cannot be paged."""


class ScrollExpiredError(FatalAPIError):
    """A scroll id expired or was lost (Rev: 408, or 400 "Invalid scroll id" to a request that
    carried one) before the next page was asked for."""


class OwedItemsError(FatalAPIError):
    """fail_on_owed: the sync ends non-zero because items are owed (its state is written)."""
