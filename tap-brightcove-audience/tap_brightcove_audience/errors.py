"""The tap's own exceptions (the messages are made where the failure is seen: client.py for the
API's answers, auth.py for the token endpoint's)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class PaginationError(FatalAPIError):
    """The API's pages do not add up: stop rather than loop or emit records twice."""
