"""limit/offset paging until the answer's ``count``, refusing pages that repeat or never end."""

from __future__ import annotations

import math
from typing import Any

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import OffsetPaginator

# Pages beyond ceil(count / limit) tolerated before paging is declared endless.
EXTRA_PAGES_ALLOWED = 2


class PaginationError(FatalAPIError):
    """The API's pages do not add up: stop rather than loop or emit records twice."""


def decoded(response: requests.Response) -> Any:
    """The page's JSON, decoded once and kept on the response for the parser and paginator."""
    body = getattr(response, "_brightcove_body", None)
    if body is None:
        body = response.json()
        response._brightcove_body = body  # type: ignore[attr-defined]
    return body


class CountedOffsetPaginator(OffsetPaginator):
    """Advances ``offset`` by the records received while ``offset < count``."""

    def __init__(self, page_size: int, label: str) -> None:
        super().__init__(start_value=0, page_size=page_size)
        self._label = label
        self._first_count: int | None = None
        self._pages = 0
        self._previous_fingerprint: tuple[str, str] | None = None

    def has_more(self, response: requests.Response) -> bool:
        body = decoded(response)
        records = body.get("result") or []
        count = int(body.get("count") or 0)
        self._pages += 1
        if self._first_count is None:
            self._first_count = count
        if len(records) > self.page_size:
            msg = (
                f"{self._label}: the page at offset {self.current_value} has {len(records)} "
                f"records, more than the limit {self.page_size}"
            )
            raise PaginationError(msg)
        fingerprint = (repr(records[0]), repr(records[-1])) if records else None
        if fingerprint is not None and fingerprint == self._previous_fingerprint:
            msg = (
                f"{self._label}: the page at offset {self.current_value} repeats the previous "
                "page: the API is ignoring offset, stopping instead of looping"
            )
            raise PaginationError(msg)
        self._previous_fingerprint = fingerprint
        most_pages = math.ceil(self._first_count / self.page_size) + EXTRA_PAGES_ALLOWED
        if self._pages > most_pages:
            msg = (
                f"{self._label}: {self._pages} pages fetched although count announced "
                f"{self._first_count} records: paging never ends, stopping"
            )
            raise PaginationError(msg)
        return self.current_value + len(records) < count

    def get_next(self, response: requests.Response) -> int | None:
        return self.current_value + len(decoded(response).get("result") or [])
