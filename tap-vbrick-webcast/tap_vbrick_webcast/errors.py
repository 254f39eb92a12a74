"""The tap's own exceptions: what ended a sync, or what made it skip a webcast's report."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class LoginRefusedError(FatalAPIError):
    """Rev refused the credentials. Never retried: repeated failed logins lock the user out."""


class ReportUnavailableError(FatalAPIError):
    """Rev answered 400/403/404 for one webcast's report: that report is skipped."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ScrollExpiredError(FatalAPIError):
    """A scroll id expired (Rev: 408) before the next page was asked for."""
